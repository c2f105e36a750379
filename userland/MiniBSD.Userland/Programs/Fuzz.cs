using System.Globalization;
using System.Text;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;
using MiniBSD.Userland.Libc;

namespace MiniBSD.Userland.Programs;

/// <summary>
/// fuzz CALLS-FILE: runs a system-call program that `minibsd fuzz` generated (grind and syzkaller are the models):
/// one call a line, "WHO CALL ARG...", made by the process WHO (0, the driver; j, its j-th child). Arguments are
/// numbers, or resources resolved as the program runs, so a shrunk program still means something: Fk the k-th
/// descriptor this process opened (modulo how many), Ck the pid of child k, Bn the buffer plus n, Wn the mmap
/// window plus n, T the text. "fork j" makes child j, which makes the calls of WHO j after that line; "touch ADDR r|w"
/// loads or stores; "exit N". At the end the driver kills its children and reaps them all, and prints what it did.
/// </summary>
public sealed class Fuzz : UserProgram
{
    /// <summary>Where the generated programs map, unmap and protect: far from text, data and the stack.</summary>
    public const ulong Window = 0x0000_0010_0000_0000;

    private string[][] _lines = [];
    private int _who;                  // 0 in the driver, j in child j
    private long[] _children = [];     // pids by child number (0: not made, or reaped)
    private int[] _fds = [0, 1, 2];    // descriptors this process got from open, dup, pipe
    private long _calls, _failed;

    protected override int ImageBssPages => 1;

    protected override IEnumerator<Op> Main()
    {
        if (Args.Length < 2)
        {
            yield return Warnx("usage: fuzz CALLS-FILE");
            yield return Op.Return(2);
            yield break;
        }
        yield return Open(Args[1], Fcntl.O_RDONLY);
        long fd = Ret;
        var bytes = new List<byte>();
        if (fd >= 0) yield return ReadAll((int)fd, bytes);
        if (fd < 0 || (int)Ctx.X0 < 0)
        {
            yield return Warnx($"{Args[1]}: {Strerror(Errno)}");
            yield return Op.Return(2);
            yield break;
        }
        yield return Close((int)fd);
        _lines = Encoding.UTF8.GetString(bytes.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToArray();
        _children = new long[1 + _lines.Where(l => l.Length > 2 && l[1] == "fork").Select(l => int.Parse(l[2], CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max()];
        for (int i = 0; i < _lines.Length; i++)
        {
            var l = _lines[i];
            if (int.Parse(l[0], CultureInfo.InvariantCulture) != _who) continue;
            yield return Op.Call(Step(l));
        }
        if (_who != 0) yield return Exit(0);
        foreach (long pid in _children.Where(p => p > 0)) yield return Kill(pid, Signal.SIGKILL);
        foreach (long pid in _children.Where(p => p > 0)) yield return Wait4(pid);
        yield return Printf($"fuzz: {_calls} calls made by the driver, {_failed} failed; children reaped\n");
        yield return Op.Return(0);
    }

    /// <summary>One line of the program.</summary>
    private IEnumerator<Op> Step(string[] l)
    {
        switch (l[1])
        {
            case "fork":
                int j = int.Parse(l[2], CultureInfo.InvariantCulture);
                yield return Fork();
                long pid = Ret;
                if (pid == 0) _who = j;
                else if (pid > 0) _children[j] = pid;
                break;
            case "touch":
                ulong va = (ulong)Arg(l[2]);
                if (l[3] == "w") StoreLong(va, 0x4D696E69);   // a fault the kernel cannot resolve is a signal
                else LoadLong(va);
                break;
            case "exit":
                yield return Exit(Arg(l[2]));
                break;
            case "open":
                StoreString(Buffer + 2048, l[2] == "-" ? "" : l[2]);
                yield return Sys(SysCall.Open, (long)Buffer + 2048, Arg(l[3]));
                if (Ret >= 0) _fds = [.. _fds, (int)Ctx.X0];
                _calls++;
                break;
            case "exec":
                yield return Execve(l[2], [l[2]]);   // returns only when it failed
                _calls++;
                break;
            case "sleep":
                StoreLong(Buffer + 3072, 0);
                StoreLong(Buffer + 3080, Arg(l[2]));
                yield return Sys(SysCall.Nanosleep, (long)Buffer + 3072, 0);
                _calls++;
                break;
            default:
                var a = new long[6];
                for (int k = 0; k < 6 && k + 2 < l.Length; k++) a[k] = Arg(l[k + 2]);
                var call = (SysCall)int.Parse(l[1], CultureInfo.InvariantCulture);
                yield return Op.Syscall(call, a[0], a[1], a[2], a[3], a[4], a[5]);
                long r = Ret;
                _calls++;
                if (r < 0) _failed++;
                else Remember(call, r, a);
                break;
        }
        yield return Op.Return(0);
    }

    /// <summary>Keeps the descriptors a call made, for later calls to use (and reaped children out of the list).</summary>
    private void Remember(SysCall call, long r, long[] a)
    {
        if (call is SysCall.Open or SysCall.Dup) _fds = [.. _fds, (int)r];
        else if (call == SysCall.Dup2) _fds = [.. _fds, (int)a[1]];
        else if (call is SysCall.Pipe or SysCall.Pipe2 && (ulong)a[0] == Buffer) _fds = [.. _fds, LoadInt(Buffer), LoadInt(Buffer + 4)];
        else if (call == SysCall.Wait4 && r > 0) _children = _children.Select(p => p == r ? 0 : p).ToArray();
    }

    /// <summary>Child k's pid, or a pid nobody has when it is not alive (kill then fails with ESRCH).</summary>
    private long Child(int k) => _children[k % _children.Length] is var pid && pid > 0 ? pid : 99_999;

    private long Arg(string t) => t[0] switch
    {
        'F' => _fds[int.Parse(t[1..], CultureInfo.InvariantCulture) % _fds.Length],
        'C' => Child(int.Parse(t[1..], CultureInfo.InvariantCulture)),
        'B' => (long)Buffer + long.Parse(t[1..], CultureInfo.InvariantCulture),
        'W' => (long)Window + long.Parse(t[1..], CultureInfo.InvariantCulture),
        'T' => (long)UserLayout.TextStart,
        _ => t.StartsWith("0x", StringComparison.Ordinal) ? (long)ulong.Parse(t[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : long.Parse(t, CultureInfo.InvariantCulture),
    };
}
