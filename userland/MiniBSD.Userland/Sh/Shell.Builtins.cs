using System.Text;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Userland.Sh;

/// <summary>The builtins: : exit wait test [ export unset shift read.</summary>
public sealed partial class Shell
{
    private static readonly HashSet<string> Builtins = [":", "exit", "wait", "test", "[", "export", "unset", "shift", "read"];

    private static bool IsBuiltin(string name) => Builtins.Contains(name);

    private IEnumerator<Op> RunBuiltin(List<string> argv)
    {
        switch (argv[0])
        {
            case ":":
                yield return Op.Return(0);
                yield break;
            case "exit":
                long code = _status;
                if (argv.Count > 1 && !ParseNumber(argv[1], out code))
                {
                    yield return Print(2, $"sh: exit: {argv[1]}: numeric argument required\n");
                    code = 2;
                }
                yield return Exit(code & 0xff);
                yield break;
            case "wait":
                yield return Op.Call(WaitBuiltin(argv));
                yield return Op.Return(Result);
                yield break;
            case "test" or "[":
                var args = argv.Skip(1).ToList();
                if (argv[0] == "[")
                {
                    if (args.Count == 0 || args[^1] != "]")
                    {
                        yield return Print(2, "sh: [: missing ]\n");
                        yield return Op.Return(2);
                        yield break;
                    }
                    args.RemoveAt(args.Count - 1);
                }
                var test = new TestBuiltin(Exists, IsDirectory);
                var (status, error) = test.Run(args);
                if (error is not null) yield return Print(2, $"sh: {error}\n");
                yield return Op.Return(status);
                yield break;
            case "export":
                foreach (var a in argv.Skip(1))
                {
                    int eq = a.IndexOf('=', StringComparison.Ordinal);
                    string name = eq < 0 ? a : a[..eq];
                    if (eq >= 0) SetVar(name, a[(eq + 1)..]);
                    _exported.Add(name);
                }
                yield return Op.Return(0);
                yield break;
            case "unset":
                foreach (var a in argv.Skip(1))
                {
                    _vars.Remove(a);
                    _exported.Remove(a);
                }
                yield return Op.Return(0);
                yield break;
            case "shift":
                long n = 1;
                if (argv.Count > 1 && !ParseNumber(argv[1], out n)) n = -1;
                if (n < 0 || n > _positional.Length)
                {
                    yield return Print(2, "sh: shift: can't shift that many\n");
                    yield return Op.Return(1);
                    yield break;
                }
                _positional = _positional[(int)n..];
                yield return Op.Return(0);
                yield break;
            default:
                yield return Op.Call(ReadBuiltin(argv));
                yield return Op.Return(Result);
                yield break;
        }
    }

    /// <summary>test -e: the devices, /etc/rc, the directories and the programs of the root file system.</summary>
    private static bool Exists(string path) =>
        path is "/dev/null" or "/dev/console" or "/etc/rc" || IsDirectory(path) || Rootfs.ProgramPaths.Contains(path);

    private static bool IsDirectory(string path) => path is "/" or "/bin" or "/usr/bin" or "/sbin" or "/etc" or "/dev";

    /// <summary>wait [pid...]: with no pid, every child (status 0); else each pid in turn (127 for one that is not a child).</summary>
    private IEnumerator<Op> WaitBuiltin(List<string> argv)
    {
        if (argv.Count == 1)
        {
            while (true)
            {
                yield return Wait4(-1);
                if (Ret < 0) break;
            }
            yield return Op.Return(0);
            yield break;
        }
        int status = 0;
        foreach (var a in argv.Skip(1))
        {
            if (!ParseNumber(a, out long pid) || pid <= 0)
            {
                yield return Print(2, $"sh: wait: {a}: not a pid\n");
                status = 2;
                continue;
            }
            yield return Wait4(pid);
            if (Ret < 0)
            {
                status = 127;
                continue;
            }
            int ws = WaitStatus;
            status = StatusOf(ws);
            if (SignalMessage(ws) is { } message) yield return Print(2, message + "\n");   // as dash reports a job a signal ended
        }
        yield return Op.Return(status);
    }

    /// <summary>read NAME...: a line from standard input, split on IFS whitespace (the last name takes the rest); 1 at end of file.</summary>
    private IEnumerator<Op> ReadBuiltin(List<string> argv)
    {
        var line = new List<byte>();
        bool eof = false;
        while (true)
        {
            yield return Read(0, 1);
            long n = Ret;
            if (n <= 0) { eof = true; break; }
            byte b = ReadResult(n)[0];
            if (b == '\n') break;
            line.Add(b);
        }
        var words = Encoding.UTF8.GetString(line.ToArray()).Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var names = argv.Skip(1).DefaultIfEmpty("REPLY").ToList();
        for (int i = 0; i < names.Count; i++)
            SetVar(names[i], i < words.Length ? (i == names.Count - 1 ? string.Join(' ', words[i..]) : words[i]) : "");
        yield return Op.Return(eof && line.Count == 0 ? 1 : 0);
    }
}
