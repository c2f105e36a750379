using System.Globalization;
using System.Text;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;
using MiniBSD.Userland.Libc;

namespace MiniBSD.Userland.Sh;

/// <summary>
/// sh(1), a POSIX-sh subset for workload scripts: <c>sh [-e] -c COMMAND [NAME [ARGS]]</c>, <c>sh [-e] SCRIPT [ARGS]</c>,
/// or a script on standard input (options may be clustered, <c>-ec</c>; -e is errexit). Run as <c>ksh</c> it forks the
/// command of -c as OpenBSD's /bin/sh does, where dash execs it in place. The script is parsed whole first: a syntax error names the script, line and column,
/// runs nothing and exits 2. Commands run as fork + execve along PATH (unknown: "sh: NAME: not found", 127);
/// builtins: : exit wait test [ export unset shift read. Parent and child share nothing after fork but what fork
/// copies: the variables are copied in <see cref="AtForkChild"/>.
/// </summary>
public sealed partial class Shell : UserProgram
{
    private Dictionary<string, string> _vars = new(StringComparer.Ordinal);
    private HashSet<string> _exported = new(StringComparer.Ordinal);
    private string[] _positional = [];
    private string _arg0 = "sh";
    private string _scriptName = "sh";
    private int _status;               // $?
    private long _lastBackground = -1; // $!
    private long _shellPid;            // $$ (a subshell keeps its parent's)
    private int _substStatus = -1;     // the status of the last command substitution, -1 if none ran

    protected override void AtForkChild()
    {
        _vars = new Dictionary<string, string>(_vars, StringComparer.Ordinal);
        _exported = new HashSet<string>(_exported, StringComparer.Ordinal);
    }

    /// <summary>The value the last subroutine frame returned.</summary>
    private int Result => (int)Ctx.X0;

    protected override IEnumerator<Op> Main()
    {
        yield return Getpid();
        _shellPid = Ret;
        ImportEnvironment();
        string? source = null;
        int first = ParseOptions(out bool command, out char bad);
        if (bad != 0)
        {
            yield return Print(2, $"sh: 0: Illegal option -{bad}\n");
            yield return Op.Return(2);
            yield break;
        }
        if (command)
        {
            if (first >= Args.Length)
            {
                yield return Print(2, "sh: -c: option requires an argument\n");
                yield return Op.Return(2);
                yield break;
            }
            source = Args[first];
            _scriptName = "-c";
            _arg0 = first + 1 < Args.Length ? Args[first + 1] : "sh";
            _positional = first + 2 < Args.Length ? Args[(first + 2)..] : [];
        }
        var bytes = new List<byte>();
        if (source is null)
        {
            int fd = 0;
            if (first < Args.Length)
            {
                _scriptName = _arg0 = Args[first];
                _positional = Args[(first + 1)..];
                yield return Open(Args[first], Fcntl.O_RDONLY);
                fd = (int)Ret;
                if (fd < 0)
                {
                    yield return Print(2, $"sh: cannot open {Args[first]}: {Strerror(Errno)}\n");
                    yield return Op.Return(127);
                    yield break;
                }
            }
            yield return ReadAll(fd, bytes);
            source = Encoding.UTF8.GetString(bytes.ToArray());
        }
        Script script = new([]);
        string? syntaxError = null;
        try
        {
            script = Parser.Parse(source);
        }
        catch (ShSyntaxException e)
        {
            syntaxError = $"sh: {_scriptName}:{e.Line}:{e.Column}: syntax error: {e.Message}\n";
        }
        if (syntaxError is not null)
        {
            yield return Print(2, syntaxError);
            yield return Op.Return(2);
            yield break;
        }
        if (_scriptName == "-c" && !IsKsh && script.Items is [{ Background: false } only])
        {
            yield return Op.Call(RunInThisProcess(only.Command));   // sh -c 'cmd': the command replaces the shell
            _status = Result;
        }
        else
        {
            yield return Op.Call(RunScript(script));
        }
        yield return Op.Return(_status);
    }

    /// <summary>
    /// Run as ksh (OpenBSD's /bin/sh): <c>-c</c>'s command runs in a child like any other. OpenBSD's ksh hands the
    /// command string to shell(), which calls execute(t, 0) without XEXEC (bin/ksh/main.c 1.100), so it forks; dash
    /// execs a lone command of -c in place. Everything else is the same shell.
    /// </summary>
    private bool IsKsh => ProgramName == "ksh";

    /// <summary>set -e (errexit): a command that fails outside a condition ends the shell with its status.</summary>
    private bool _errexit;

    /// <summary>How deep the shell is in conditions (if, while, until, the left of && and ||, !), where -e is ignored.</summary>
    private int _conditionDepth;

    /// <summary>
    /// The leading option words: <c>-c</c>, <c>-e</c> and clusters of them (<c>-ec</c>, as make runs its recipes),
    /// then an optional <c>--</c>. Returns the index of the first operand; <paramref name="bad"/> is an unknown option.
    /// </summary>
    private int ParseOptions(out bool command, out char bad)
    {
        (command, bad) = (false, '\0');
        int i = 1;
        for (; i < Args.Length && Args[i].Length > 1 && Args[i][0] == '-'; i++)
        {
            if (Args[i] == "--") return i + 1;
            foreach (char flag in Args[i].AsSpan(1))
            {
                if (flag == 'c') command = true;
                else if (flag == 'e') _errexit = true;
                else
                {
                    bad = flag;
                    return i;
                }
            }
        }
        return i;
    }

    /// <summary>The environment (NAME=value strings after argv) becomes exported variables; PATH has a default.</summary>
    private void ImportEnvironment()
    {
        for (ulong i = 0; ; i++)
        {
            long ptr = LoadLong(Envp + 8 * i);
            if (ptr == 0) break;
            string entry = LoadString((ulong)ptr);
            int eq = entry.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) continue;
            _vars[entry[..eq]] = entry[(eq + 1)..];
            _exported.Add(entry[..eq]);
        }
        if (!_vars.ContainsKey("PATH"))
        {
            _vars["PATH"] = string.Join(':', Rootfs.Path);
            _exported.Add("PATH");
        }
        _vars.TryAdd("IFS", " \t\n");
    }

    private string? GetVar(string name) => _vars.TryGetValue(name, out var v) ? v : null;

    private void SetVar(string name, string value) => _vars[name] = value;

    /// <summary>The exported variables as NAME=value, in name order.</summary>
    private List<string> Environment(IEnumerable<(string Name, string Value)> extra)
    {
        var env = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in _exported)
            if (_vars.TryGetValue(name, out var v)) env[name] = v;
        foreach (var (n, v) in extra) env[n] = v;
        return env.Select(kv => $"{kv.Key}={kv.Value}").ToList();
    }

    /// <summary>$? for a wait status: the exit code, or 128 + the signal.</summary>
    private static int StatusOf(int waitStatus) =>
        Wait.IfExited(waitStatus) ? Wait.ExitStatus(waitStatus) : 128 + (int)Wait.TermSig(waitStatus);

    /// <summary>What sh reports on standard error for a foreground command a signal killed (nothing for SIGPIPE).</summary>
    private static string? SignalMessage(int waitStatus)
    {
        if (!Wait.IfSignaled(waitStatus)) return null;
        string text = Wait.TermSig(waitStatus) switch
        {
            Signal.SIGPIPE or Signal.SIGINT => "",
            Signal.SIGSEGV => "Segmentation fault",
            Signal.SIGBUS => "Bus error",
            Signal.SIGKILL => "Killed",
            Signal.SIGTERM => "Terminated",
            Signal.SIGILL => "Illegal instruction",
            Signal.SIGABRT => "Abort trap",
            Signal.SIGSYS => "Bad system call",
            var s => $"Signal {(int)s}",
        };
        return text.Length == 0 ? null : text + (Wait.CoreDump(waitStatus) ? " (core dumped)" : "");
    }

    private static string Num(long v) => v.ToString(CultureInfo.InvariantCulture);
}
