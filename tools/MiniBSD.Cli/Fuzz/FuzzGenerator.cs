using System.Globalization;
using MiniBSD.Kernel.Abi;

namespace MiniBSD.Cli.Fuzz;

/// <summary>
/// Generates a system-call program for /usr/bin/fuzz from a seed, structured as syzkaller's descriptions are: each
/// call has argument kinds, and each kind is drawn from valid values, resources earlier calls made (descriptors,
/// children, mappings) and adversarial ones (unmapped, kernel, misaligned and page-straddling pointers, read-only
/// text as an output buffer, huge and negative lengths, closed and out-of-range descriptors, bad flags and signals).
/// The driver (process 0) forks children, kills and reaps them, and manages descriptors and mappings; it makes no
/// call that could block it or kill it, so every seed ends. Children make any call, touch memory, and exit.
/// </summary>
public static class FuzzGenerator
{
    private const long Page = 4096;

    public static IReadOnlyList<string> Generate(int seed, int calls, int procs)
    {
        var rng = new Random(seed);
        var lines = new List<string>();
        int children = 0;
        for (int i = 0; i < calls; i++)
        {
            // About one call in twelve makes a child while fewer than procs have been made (children exit and are killed).
            if (children < procs * 4 && rng.Next(12) == 0)
            {
                lines.Add($"0 fork {++children}");
                continue;
            }
            int who = children == 0 || rng.Next(3) == 0 ? 0 : 1 + rng.Next(children);
            lines.Add($"{who} " + (who == 0 ? DriverCall(rng) : ChildCall(rng)));
        }
        return lines;
    }

    private static string DriverCall(Random r) => r.Next(14) switch
    {
        0 => Call(SysCall.Kill, Child(r), Signal(r)),
        1 => Call(SysCall.Wait4, r.Next(3) == 0 ? "-1" : Child(r), Pointer(r), (1 | r.Next(4)).ToString(CultureInfo.InvariantCulture), "0"),   // WNOHANG always
        2 => Call(SysCall.Mmap, Window(r), Length(r), Prot(r), MmapFlags(r, fixedOnlyInWindow: true), "-1", "0"),
        3 => Call(SysCall.Munmap, Window(r), Length(r)),
        4 => Call(SysCall.Mprotect, Window(r), Length(r), Prot(r)),
        5 => Call(SysCall.Dup, Fd(r)),
        6 => Call(SysCall.Dup2, Fd(r), r.Next(4) == 0 ? "1000" : r.Next(3, 30).ToString(CultureInfo.InvariantCulture)),
        7 => Call(SysCall.Close, r.Next(4) == 0 ? Fd(r) : r.Next(3, 40).ToString(CultureInfo.InvariantCulture)),
        8 => Open(r),
        9 => Call(SysCall.Sigprocmask, r.Next(5).ToString(CultureInfo.InvariantCulture), Mask(r)),
        10 => Call(SysCall.ClockGettime, r.Next(-1, 6).ToString(CultureInfo.InvariantCulture), Pointer(r)),
        11 => Call(SysCall.Getrusage, r.Next(-2, 2).ToString(CultureInfo.InvariantCulture), Pointer(r)),
        12 => Call(SysCall.Sysctl, Pointer(r), r.Next(-1, 8).ToString(CultureInfo.InvariantCulture), Pointer(r), Pointer(r), Pointer(r), Length(r)),
        _ => r.Next(4) switch
        {
            0 => $"sleep {r.Next(1, 200_000)}",
            1 => Call(SysCall.Execve, Pointer(r), Pointer(r), Pointer(r)),   // bad pointers: EFAULT or ENOENT, never an exec
            2 => Call(SysCall.Reboot, "0", "0"),                             // EPERM: not init
            _ => Call(SysCall.Sigaction, Signal(r), Pointer(r), Pointer(r)),
        },
    };

    private static string ChildCall(Random r) => r.Next(16) switch
    {
        0 => Call(SysCall.Read, Fd(r), Pointer(r), Length(r)),
        1 => Call(SysCall.Write, Fd(r), Pointer(r), Length(r)),
        2 => Call(r.Next(2) == 0 ? SysCall.Pipe : SysCall.Pipe2, r.Next(3) == 0 ? Pointer(r) : "B0", Flags(r)),
        3 => Call(SysCall.Kill, Child(r), Signal(r)),
        4 => Call(SysCall.Mmap, r.Next(3) == 0 ? Pointer(r) : Window(r), Length(r), Prot(r), MmapFlags(r, fixedOnlyInWindow: false), r.Next(4) == 0 ? Fd(r) : "-1", Length(r)),
        5 => Call(SysCall.Munmap, r.Next(4) == 0 ? Pointer(r) : Window(r), Length(r)),
        6 => Call(SysCall.Mprotect, r.Next(4) == 0 ? Pointer(r) : Window(r), Length(r), Prot(r)),
        7 => $"touch {(r.Next(3) == 0 ? Pointer(r) : Window(r))} {(r.Next(2) == 0 ? "r" : "w")}",
        8 => Call(SysCall.Obreak, r.Next(2) == 0 ? Pointer(r) : $"0x{UserLayout.DataStart + (ulong)r.Next(0, 1 << 24):x}"),
        9 => Call(SysCall.Nanosleep, Pointer(r), Pointer(r)),
        10 => Call(SysCall.Wait4, r.Next(-2, 3).ToString(CultureInfo.InvariantCulture), Pointer(r), r.Next(-1, 9).ToString(CultureInfo.InvariantCulture), Pointer(r)),
        11 => Call(AnyNumber(r), Pointer(r), Length(r), Fd(r), Pointer(r), Length(r), Flags(r)),   // unknown numbers are SIGSYS
        12 => r.Next(6) == 0 ? $"exit {r.Next(256)}" : Open(r),
        13 => $"exec {(r.Next(2) == 0 ? "/bin/true" : "/nonexistent")}",
        14 => Call(SysCall.Sigaction, Signal(r), Pointer(r), Pointer(r)),
        _ => Call(SysCall.SchedYield),
    };

    /// <summary>Any call number but fork and kill, which with random arguments would make processes the driver does not
    /// know of, or signal its whole process group.</summary>
    private static SysCall AnyNumber(Random r)
    {
        var call = (SysCall)r.Next(0, 330);
        return call is SysCall.Fork or SysCall.Kill ? SysCall.Getpid : call;
    }

    private static string Call(SysCall call, params string[] args) =>
        string.Join(' ', [((int)call).ToString(CultureInfo.InvariantCulture), .. args]);

    private static string Open(Random r) =>
        $"open {Pick(r, "/dev/null", "/dev/console", "/etc/rc", "/bin/sh", "/nonexistent", "-", "/dev/tty")} {Pick(r, "0", "1", "2", "0x200", "0x601", "0x7fffffff", "-1")}";

    /// <summary>A pointer argument: the program's buffer, or one of the adversarial kinds.</summary>
    private static string Pointer(Random r) => r.Next(9) switch
    {
        0 => "0",
        1 => "0xffff000000000000",                            // a kernel address
        2 => "0xffffffffffffffff",
        3 => $"B{r.Next(1, 8)}",                               // misaligned
        4 => "T",                                              // read-only text, as an output buffer
        5 => $"W{Page * r.Next(0, 64) - r.Next(1, 16)}",       // straddling into (maybe) unmapped window pages
        6 => $"0x{0x7f00_0000_0000UL + (ulong)r.Next() * Page:x}",   // unmapped user space
        _ => "B0",
    };

    private static string Length(Random r) => r.Next(8) switch
    {
        0 => "0",
        1 => "-1",
        2 => "0x7fffffffffffffff",
        3 => (Page * r.Next(1, 512)).ToString(CultureInfo.InvariantCulture),
        4 => r.Next(1, 64).ToString(CultureInfo.InvariantCulture),
        5 => "65536",
        _ => (Page * r.Next(1, 16)).ToString(CultureInfo.InvariantCulture),
    };

    private static string Window(Random r) => $"W{Page * r.Next(0, 256) + (r.Next(10) == 0 ? r.Next(1, 4096) : 0)}";
    private static string Fd(Random r) => r.Next(8) == 0 ? Pick(r, "-1", "64", "1000000", "20") : $"F{r.Next(16)}";
    private static string Child(Random r) => r.Next(8) == 0 ? "99999" : $"C{r.Next(1, 64)}";
    private static string Signal(Random r) => r.Next(10) == 0 ? Pick(r, "-1", "0", "33", "64") : r.Next(1, 32).ToString(CultureInfo.InvariantCulture);
    private static string Prot(Random r) => r.Next(6) == 0 ? Pick(r, "8", "-1", "0x7") : r.Next(0, 8).ToString(CultureInfo.InvariantCulture);
    private static string Flags(Random r) => r.Next(4) == 0 ? Pick(r, "-1", "0x80000000", "0x10000") : "0";
    private static string Mask(Random r) => Pick(r, "0", "-1", "0x4000", "0x100", "0xfffffeff");

    private static string MmapFlags(Random r, bool fixedOnlyInWindow)
    {
        long flags = r.Next(2) == 0 ? 0x1002 : 0x1001;                  // MAP_ANON | MAP_PRIVATE or MAP_SHARED
        if (r.Next(3) == 0) flags |= 0x10;                               // MAP_FIXED: the address is always the window's here
        if (r.Next(10) == 0) flags = r.Next(2) == 0 ? -1 : 0x40000;     // invalid
        return $"0x{flags:x}";
    }

    private static string Pick(Random r, params string[] choices) => choices[r.Next(choices.Length)];
}
