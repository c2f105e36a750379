using System.Text;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Userland.Sh;

/// <summary>
/// Word expansion (XCU 2.6): parameters, command substitution, arithmetic, then field splitting of unquoted
/// expansion results on IFS whitespace, then quote removal. No pathname expansion: MiniBSD has no directories to
/// match against.
/// </summary>
public sealed partial class Shell
{
    /// <summary>The result of the last <see cref="ExpandString"/>.</summary>
    private string _expanded = "";

    /// <summary>Expands words into fields, appended to <paramref name="fields"/>.</summary>
    private IEnumerator<Op> ExpandWords(IReadOnlyList<Word> words, List<string> fields)
    {
        foreach (var word in words)
        {
            if (word.IsPlainLiteral)
            {
                fields.Add(string.Concat(word.Parts.Select(p => ((Literal)p).Text)));
                continue;
            }
            yield return Op.Call(ExpandWord(word, fields, split: true));
        }
        yield return Op.Return(0);
    }

    /// <summary>Expands a word without field splitting (assignments, redirection targets): the result in <see cref="_expanded"/>.</summary>
    private IEnumerator<Op> ExpandString(Word word)
    {
        var fields = new List<string>();
        yield return Op.Call(ExpandWord(word, fields, split: false));
        _expanded = string.Join(' ', fields);
        yield return Op.Return(0);
    }

    private IEnumerator<Op> ExpandWord(Word word, List<string> fields, bool split)
    {
        var field = new StringBuilder();
        bool started = false;
        bool quotedAtEmpty = word.Parts.Any(p => p is Parameter { Name: "@", Quoted: true }) && _positional.Length == 0;
        string ifs = GetVar("IFS") ?? " \t\n";
        long held = HostBytes([], []);
        foreach (var part in word.Parts)
        {
            string? value;
            switch (part)
            {
                case Literal lit:
                    field.Append(lit.Text);
                    if (lit.Text.Length > 0 || (lit.Quoted && !quotedAtEmpty)) started = true;
                    continue;
                case Parameter { Name: "@", Quoted: true, Op: null, Length: false }:
                    for (int i = 0; i < _positional.Length; i++)
                    {
                        if (i > 0)
                        {
                            fields.Add(field.ToString());
                            field.Clear();
                        }
                        field.Append(_positional[i]);
                        started = true;
                    }
                    continue;
                case Parameter p:
                    yield return Op.Call(ExpandParameter(p));
                    value = _expanded;
                    break;
                case CommandSubstitution cs:
                    var output = new List<byte>();
                    yield return Op.Call(Capture(cs.Script, output));
                    value = Encoding.UTF8.GetString(output.ToArray()).TrimEnd('\n');
                    HostRelease(output.Count);   // the bytes are garbage now; the string is charged with the command's words
                    break;
                case Arithmetic a:
                    yield return Op.Call(ExpandString(a.Expression));
                    string expression = _expanded;
                    long result = 0;
                    string? error = null;
                    try { result = Arith.Evaluate(expression, GetVar, SetVar); }
                    catch (ArithException e) { error = e.Message; }
                    if (error is not null)
                    {
                        yield return Print(2, $"sh: arithmetic expression \"{expression}\": {error}\n");
                        yield return Exit(2);   // an expansion error ends a non-interactive shell (XCU 2.8.1)
                    }
                    value = Num(result);
                    break;
                default:
                    throw new InvalidOperationException(part.GetType().Name);
            }
            // Charged before the host builds it: the builder's growth and the string it makes, 6 bytes a character.
            long building = held + 6L * (field.Length + value.Length);
            if (!HostSet(building)) yield return Op.Call(ChargeOrDie(building));
            if (part.Quoted || !split)
            {
                field.Append(value);
                started = true;
                continue;
            }
            foreach (char c in value)
            {
                if (ifs.Contains(c))
                {
                    if (started) fields.Add(field.ToString());
                    field.Clear();
                    started = false;
                    continue;
                }
                field.Append(c);
                started = true;
            }
        }
        if (started || !split) fields.Add(field.ToString());
        yield return Op.Return(0);
    }

    /// <summary>$name and ${name OP word}: the value in <see cref="_expanded"/>.</summary>
    private IEnumerator<Op> ExpandParameter(Parameter p)
    {
        string? value = p.Name switch
        {
            "?" => Num(_status),
            "$" => Num(_shellPid),
            "!" => _lastBackground < 0 ? "" : Num(_lastBackground),
            "#" => Num(_positional.Length),
            "0" => _arg0,
            "@" or "*" => string.Join(' ', _positional),
            "-" => "",
            _ when char.IsAsciiDigit(p.Name[0]) => int.Parse(p.Name, System.Globalization.CultureInfo.InvariantCulture) is var n && n <= _positional.Length ? _positional[n - 1] : null,
            _ => GetVar(p.Name),
        };
        if (p.Length)
        {
            _expanded = Num((value ?? "").Length);
            yield return Op.Return(0);
            yield break;
        }
        bool unset = value is null, empty = string.IsNullOrEmpty(value);
        bool useArgument = p.Op switch
        {
            ":-" or ":=" => empty,
            "-" or "=" => unset,
            ":+" => !empty,
            "+" => !unset,
            _ => false,
        };
        if (useArgument)
        {
            yield return Op.Call(ExpandString(p.Argument!));
            value = _expanded;
            if (p.Op is ":=" or "=") SetVar(p.Name, value);
        }
        else if (p.Op is ":+" or "+") value = "";
        _expanded = value ?? "";
        yield return Op.Return(0);
    }

    /// <summary>$(script): runs it in a child with standard output on a pipe and collects what it writes.</summary>
    private IEnumerator<Op> Capture(Script script, List<byte> output)
    {
        yield return Pipe();
        if (Ret < 0)
        {
            yield return Print(2, $"sh: pipe: {Strerror(Errno)}\n");
            yield return Op.Return(2);
            yield break;
        }
        var (r, w) = PipeFds;
        yield return Fork();
        long pid = Ret;
        if (pid == 0)
        {
            yield return Close(r);
            yield return Dup2(w, 1);
            yield return Close(w);
            yield return Op.Call(RunScript(script));
            yield return Exit(_status);
        }
        yield return Close(w);
        if (pid > 0)
        {
            yield return ReadAll(r, output);
            if (Result < 0 && Errno == (int)Kernel.Abi.Errno.ENOMEM)
            {
                yield return Print(2, "sh: out of memory\n");
                yield return Exit(2);
            }
        }
        yield return Close(r);
        if (pid > 0)
        {
            yield return Wait4(pid);
            _substStatus = StatusOf(WaitStatus);
        }
        yield return Op.Return(0);
    }
}
