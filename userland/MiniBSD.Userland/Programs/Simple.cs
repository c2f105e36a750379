using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;
using MiniBSD.Userland.Libc;

namespace MiniBSD.Userland.Programs;

/// <summary>true(1): exits 0.</summary>
public sealed class True : UserProgram
{
    protected override IEnumerator<Op> Main()
    {
        yield return Op.Return(0);
    }
}

/// <summary>false(1): exits 1.</summary>
public sealed class False : UserProgram
{
    protected override IEnumerator<Op> Main()
    {
        yield return Op.Return(1);
    }
}

/// <summary>
/// echo(1): the arguments separated by spaces, then a newline (none with -n). Backslash escapes are interpreted as
/// XSI specifies and dash's echo does: \a \b \c (stop here, no newline) \f \n \r \t \v \\ and \0nnn (octal).
/// </summary>
public sealed class Echo : UserProgram
{
    protected override IEnumerator<Op> Main()
    {
        bool newline = !(Args.Length > 1 && Args[1] == "-n");
        string text = Escapes(string.Join(' ', Args.Skip(newline ? 1 : 2)), out bool stop);
        yield return Printf(text + (newline && !stop ? "\n" : ""));
        yield return Op.Return(Ret < 0 ? 1 : 0);
    }

    private static string Escapes(string s, out bool stop)
    {
        stop = false;
        if (!s.Contains('\\')) return s;
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] != '\\' || i + 1 == s.Length) { sb.Append(s[i]); continue; }
            char c = s[++i];
            switch (c)
            {
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'c': stop = true; return sb.ToString();
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'v': sb.Append('\v'); break;
                case '\\': sb.Append('\\'); break;
                case '0':
                    int value = 0, digits = 0;
                    while (digits < 3 && i + 1 < s.Length && s[i + 1] is >= '0' and <= '7') { value = value * 8 + (s[++i] - '0'); digits++; }
                    sb.Append((char)value);
                    break;
                default: sb.Append('\\').Append(c); break;
            }
        }
        return sb.ToString();
    }
}

/// <summary>sleep(1): sleeps for a number of seconds (a decimal fraction allowed) of simulated time.</summary>
public sealed class Sleep : UserProgram
{
    protected override IEnumerator<Op> Main()
    {
        if (Args.Length != 2 || !decimal.TryParse(Args[1], System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
        {
            yield return Print(2, "usage: sleep seconds\n");
            yield return Op.Return(1);
            yield break;
        }
        yield return Nanosleep((long)(seconds * 1_000_000_000m));
        yield return Op.Return(Ret < 0 ? 1 : 0);
    }
}

/// <summary>seq(1): seq [first [incr]] last, one number a line.</summary>
public sealed class Seq : UserProgram
{
    protected override IEnumerator<Op> Main()
    {
        var n = new long[Args.Length - 1];
        bool ok = n.Length is >= 1 and <= 3;
        for (int i = 0; ok && i < n.Length; i++) ok = ParseNumber(Args[i + 1], out n[i]);
        if (!ok || (n.Length == 3 && n[1] == 0))
        {
            yield return Print(2, "usage: seq [first [incr]] last\n");
            yield return Op.Return(1);
            yield break;
        }
        long first = n.Length > 1 ? n[0] : 1, incr = n.Length == 3 ? n[1] : 1, last = n[^1];
        var text = new System.Text.StringBuilder();
        for (long v = first; incr > 0 ? v <= last : v >= last; v += incr)
        {
            text.Append(v).Append('\n');
            if (text.Length < 4096) continue;
            yield return Printf(text.ToString());
            text.Clear();
        }
        if (text.Length > 0) yield return Printf(text.ToString());
        yield return Op.Return(0);
    }
}

/// <summary>cat(1): copies the named files (or standard input, or "-") to standard output.</summary>
public sealed class Cat : UserProgram
{
    protected override IEnumerator<Op> Main()
    {
        var files = Args.Length > 1 ? Args[1..] : ["-"];
        int status = 0;
        foreach (var file in files)
        {
            int fd = 0;
            if (file != "-")
            {
                yield return Open(file, Fcntl.O_RDONLY);
                fd = (int)Ret;
                if (fd < 0)
                {
                    yield return Warnx($"{file}: {Strerror(Errno)}");
                    status = 1;
                    continue;
                }
            }
            while (true)
            {
                yield return Read(fd);
                long n = Ret;
                if (n <= 0) break;
                yield return Write(1, ReadResult(n));
            }
            if (fd != 0) yield return Close(fd);
        }
        yield return Op.Return(status);
    }
}

/// <summary>wc(1): lines, words and bytes of standard input (-l, -w, -c pick), printed as GNU wc prints them.</summary>
public sealed class Wc : UserProgram
{
    protected override IEnumerator<Op> Main()
    {
        var flags = Args.Skip(1).Where(a => a.StartsWith('-')).SelectMany(a => a[1..]).ToHashSet();
        bool all = flags.Count == 0;
        var data = new List<byte>();
        yield return ReadAll(0, data);
        if ((int)Ctx.X0 < 0)
        {
            yield return Warnx($"stdin: {Strerror(Errno)}");
            yield return Op.Return(1);
            yield break;
        }
        long lines = data.Count(b => b == '\n'), bytes = data.Count, words = 0;
        bool inWord = false;
        foreach (var b in data)
        {
            bool space = b is (byte)' ' or (byte)'\n' or (byte)'\t' or (byte)'\r' or 0x0b or 0x0c;
            if (!space && !inWord) words++;
            inWord = !space;
        }
        var counts = new List<long>();
        if (all || flags.Contains('l')) counts.Add(lines);
        if (all || flags.Contains('w')) counts.Add(words);
        if (all || flags.Contains('c')) counts.Add(bytes);
        string line = counts.Count == 1 ? $"{counts[0]}" : string.Join(' ', counts.Select(c => $"{c,7}"));
        yield return Printf(line + "\n");
        yield return Op.Return(0);
    }
}

/// <summary>kill(1): kill [-SIGNAL] pid... (a name such as -KILL or -9; TERM by default).</summary>
public sealed class KillCommand : UserProgram
{
    protected override IEnumerator<Op> Main()
    {
        var signal = Kernel.Abi.Signal.SIGTERM;
        int first = 1;
        if (Args.Length > 1 && Args[1].StartsWith('-'))
        {
            string name = Args[1][1..];
            if (ParseNumber(name, out long number)) signal = (Signal)number;
            else if (!Enum.TryParse("SIG" + name.ToUpperInvariant(), out signal)) signal = Kernel.Abi.Signal.None;
            first = 2;
        }
        int status = 0;
        if (signal == Kernel.Abi.Signal.None || first >= Args.Length)
        {
            yield return Print(2, "usage: kill [-signal] pid ...\n");
            yield return Op.Return(1);
            yield break;
        }
        foreach (var arg in Args[first..])
        {
            if (!ParseNumber(arg, out long pid))
            {
                yield return Warnx($"{arg}: arguments must be process ids");
                status = 1;
                continue;
            }
            yield return Kill(pid, signal);
            if (Ret < 0)
            {
                yield return Warnx($"{pid}: {Strerror(Errno)}");
                status = 1;
            }
        }
        yield return Op.Return(status);
    }
}
