using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;
using MiniBSD.Userland.Libc;
using Mib = MiniBSD.Kernel.Abi.Sysctl;

namespace MiniBSD.Tests.Os;

/// <summary>
/// /bin/probe MODE: a user program that exercises one POSIX behaviour through the system-call ABI and prints what
/// it saw, for the system tests to compare exactly. Its data segment starts with "ORIGINAL".
/// </summary>
internal sealed class Probe : UserProgram
{
    public static readonly byte[] Data = "ORIGINAL"u8.ToArray();
    private const ulong DataVa = 0x1000_0000;
    private const ulong Unmapped = 0x5000_0000;

    protected override IEnumerator<Op> Main() => Args[1] switch
    {
        "fork" => ForkReturns(),
        "data-cow" => DataCopyOnWrite(),
        "vfork" => VforkWaits(Args[2]),
        "statuses" => Statuses(),
        "orphan" => Orphan(),
        "nocldwait" => NoCldWait(Args[2] == "ign"),
        "wnohang" => NoHang(),
        "echild" => NoChild(),
        "maxproc" => MaxProc(),
        "efault" => BadPointers(),
        "exec-errors" => ExecErrors(),
        "args" => PrintArgs(),
        "segv" => Segv(Args[2]),
        "sigpipe" => SigPipe(Args[2] == "ign"),
        "kill" => KillSleeper(),
        "sleep" => SleepThenPrint(),
        "spin" => Spin(Args[2]),
        "illegal" => Illegal(),
        "mprotect" => Mprotect(),
        "throw" => Throw(),
        "nosys" => NoSys(),
        "stale" => Stale(),
        "sysctl" => SysctlErrors(),
        _ => throw new ArgumentException(Args[1]),
    };

    private Op Say(string line) => Printf(line + "\n");

    /// <summary>sysctl(2)'s answers: the size alone, a short buffer, a write, unknown and bad names, a bad pointer.</summary>
    private IEnumerator<Op> SysctlErrors()
    {
        StoreLong(OutArea, (long)((ulong)Mib.HW_NCPU << 32 | Mib.CTL_HW));
        StoreLong(OutArea + 8, 0);
        yield return Sys(SysCall.Sysctl, (long)OutArea, 2, 0, (long)(OutArea + 8), 0, 0);
        yield return Say($"size only: {Ret}, length {LoadLong(OutArea + 8)}");
        StoreLong(OutArea + 8, 2);
        yield return Sys(SysCall.Sysctl, (long)OutArea, 2, (long)Buffer, (long)(OutArea + 8), 0, 0);
        yield return Say($"2-byte buffer: {Ret} errno {(Errno)Errno}");
        StoreLong(OutArea + 8, 8);
        yield return Sys(SysCall.Sysctl, (long)OutArea, 2, (long)Buffer, (long)(OutArea + 8), (long)Buffer, 4);
        yield return Say($"set hw.ncpu: {Ret} errno {(Errno)Errno}");
        StoreLong(OutArea, (long)((ulong)99 << 32 | Mib.CTL_HW));
        yield return Sys(SysCall.Sysctl, (long)OutArea, 2, (long)Buffer, (long)(OutArea + 8), 0, 0);
        yield return Say($"hw.99: {Ret} errno {(Errno)Errno}");
        yield return Sys(SysCall.Sysctl, (long)OutArea, 1, (long)Buffer, (long)(OutArea + 8), 0, 0);
        yield return Say($"one level: {Ret} errno {(Errno)Errno}");
        yield return Sys(SysCall.Sysctl, (long)Unmapped, 2, (long)Buffer, (long)(OutArea + 8), 0, 0);
        yield return Say($"bad name pointer: {Ret} errno {(Errno)Errno}");
        StoreLong(OutArea, (long)((ulong)Mib.KERN_OSTYPE << 32 | Mib.CTL_KERN));
        StoreLong(OutArea + 8, 64);
        yield return Sys(SysCall.Sysctl, (long)OutArea, 2, (long)Unmapped, (long)(OutArea + 8), 0, 0);
        yield return Say($"bad old pointer: {Ret} errno {(Errno)Errno}");
        yield return Sys(SysCall.Sysctl, (long)OutArea, 2, (long)Buffer, (long)(OutArea + 8), 0, 0);
        yield return Say($"kern.ostype: {Ret}, \"{LoadString(Buffer)}\", length {LoadLong(OutArea + 8)}");
        yield return Op.Return(0);
    }

    private IEnumerator<Op> ForkReturns()
    {
        yield return Getpid();
        long me = Ret;
        long local = 41;   // a register: the child gets its own copy
        yield return Fork();
        long pid = Ret;
        if (pid == 0)
        {
            local++;
            yield return Getppid();
            yield return Say($"child: fork returned 0, getppid is the parent: {Ret == me}, local {local}");
            yield return Exit(7);
        }
        yield return Wait4(pid);
        yield return Say($"parent: fork returned the child's pid: {Ret == pid && pid > 1}, status 0x{WaitStatus:x}, local {local}");
        yield return Op.Return(0);
    }

    private IEnumerator<Op> DataCopyOnWrite()
    {
        yield return Fork();
        if (Ret == 0)
        {
            Store(DataVa, "CHILD!!!"u8);
            yield return Say($"child sees {System.Text.Encoding.ASCII.GetString(LoadBytes(DataVa, 8))}");
            yield return Exit(0);
        }
        yield return Wait4(-1);
        yield return Say($"parent still sees {System.Text.Encoding.ASCII.GetString(LoadBytes(DataVa, 8))}");
        yield return Op.Return(0);
    }

    /// <summary>vfork: the child runs while the parent sleeps until the child exits or execs; the child's memory is a copy.</summary>
    private IEnumerator<Op> VforkWaits(string how)
    {
        yield return Vfork();
        long pid = Ret;
        if (pid == 0)
        {
            Store(DataVa, "CHILD!!!"u8);
            yield return Op.Work(5_000_000);   // 2 ms: the parent, asleep in ppwait, cannot get ahead
            yield return Say($"child wrote {System.Text.Encoding.ASCII.GetString(LoadBytes(DataVa, 8))}");
            if (how == "exec") yield return Execve("/bin/sleep", ["sleep", "0.002"]);
            yield return Exit(7);
        }
        yield return ClockGettime(CLOCK_MONOTONIC);
        yield return Say($"parent resumes after {ClockNanoseconds / 1_000_000} ms and sees {System.Text.Encoding.ASCII.GetString(LoadBytes(DataVa, 8))}");
        yield return Wait4(pid);
        yield return Say($"child {Wait.Describe(WaitStatus)}");
        yield return Op.Return(0);
    }

    private IEnumerator<Op> Statuses()
    {
        string[] ways = ["exit3", "segv", "kill9", "term", "exit0"];
        foreach (var way in ways)
        {
            yield return Fork();
            long pid = Ret;
            if (pid == 0)
            {
                if (way == "exit3") yield return Exit(3);
                if (way == "exit0") yield return Exit(256);   // only the low 8 bits reach the parent
                if (way == "segv") StoreLong(Unmapped, 1);
                if (way is "kill9" or "term")
                {
                    yield return Getpid();
                    yield return Kill(Ret, way == "kill9" ? Signal.SIGKILL : Signal.SIGTERM);
                }
                yield return Exit(99);   // not reached when a signal killed it
            }
            yield return Wait4(pid);
            int s = WaitStatus;
            yield return Say($"{way}: status 0x{s:x} exited {Wait.IfExited(s)} code {Wait.ExitStatus(s)} signaled {Wait.IfSignaled(s)} sig {(int)Wait.TermSig(s)}");
        }
        yield return Op.Return(0);
    }

    private IEnumerator<Op> Orphan()
    {
        yield return Pipe();
        var (r, w) = PipeFds;
        yield return Fork();
        if (Ret == 0)
        {
            yield return Fork();
            if (Ret == 0)
            {
                yield return Read(r, 1);   // wait until the middle process has exited
                yield return Getppid();
                yield return Say($"grandchild: my parent is now pid {Ret}");
                yield return Exit(0);
            }
            yield return Exit(0);
        }
        yield return Wait4(-1);   // the middle process; the grandchild is an orphan now, adopted by init
        yield return Write(w, "go"u8);
        yield return Wait4(-1, Wait.WNOHANG);
        yield return Say($"the orphan is no longer my child: wait4 gives {Ret} errno {(Errno)Errno}");
        yield return Nanosleep(1_000_000);
        yield return Op.Return(0);
    }

    private IEnumerator<Op> NoCldWait(bool ignore)
    {
        yield return ignore ? Sigaction(Signal.SIGCHLD, SigAction.SIG_IGN) : Sigaction(Signal.SIGCHLD, SigAction.SIG_DFL, SaFlags.NoCldWait);
        for (int i = 0; i < 3; i++)
        {
            yield return Fork();
            if (Ret == 0)
            {
                yield return Nanosleep(100_000 * (i + 1));
                yield return Exit(i);
            }
        }
        yield return Wait4(-1);   // blocks until every child is gone, then ECHILD: no zombie is left for it
        yield return Say($"wait4 after SA_NOCLDWAIT: {Ret} errno {(Errno)Errno}");
        yield return Op.Return(0);
    }

    private IEnumerator<Op> NoHang()
    {
        yield return Fork();
        long pid = Ret;
        if (pid == 0)
        {
            yield return Nanosleep(1_000_000);
            yield return Exit(5);
        }
        yield return Wait4(pid, Wait.WNOHANG);
        yield return Say($"WNOHANG while it runs: {Ret}");
        yield return Wait4(pid);
        yield return Say($"then wait4: the pid {Ret == pid}, status 0x{WaitStatus:x}");
        yield return Wait4(pid, Wait.WNOHANG);
        yield return Say($"WNOHANG with no child left: {Ret} errno {(Errno)Errno}");
        yield return Op.Return(0);
    }

    private IEnumerator<Op> NoChild()
    {
        yield return Wait4(-1);
        yield return Say($"wait4(-1) without children: {Ret} errno {(Errno)Errno}");
        yield return Wait4(1);
        yield return Say($"wait4(1), not my child: {Ret} errno {(Errno)Errno}");
        yield return Wait4(-1, 0x1000);
        yield return Say($"wait4 with a bad option: {Ret} errno {(Errno)Errno}");
        yield return Op.Return(0);
    }

    private IEnumerator<Op> MaxProc()
    {
        int forks = 0;
        while (true)
        {
            yield return Fork();
            long pid = Ret;
            if (pid == 0) yield return Exit(0);   // exits at once; its zombie still counts until waited for
            if (pid < 0) break;
            forks++;
        }
        yield return Say($"fork failed with {(Errno)Errno} after {forks} forks");
        for (int i = 0; i < forks; i++) yield return Wait4(-1);
        yield return Fork();
        if (Ret == 0) yield return Exit(0);
        yield return Say($"after reaping them, fork works again: {Ret > 0}");
        yield return Wait4(-1);
        yield return Op.Return(0);
    }

    private IEnumerator<Op> BadPointers()
    {
        yield return Sys(SysCall.Write, 1, (long)Unmapped, 8);
        yield return Say($"write from an unmapped buffer: {Ret} {(Errno)Errno}");
        yield return Sys(SysCall.Write, 1, unchecked((long)0xFFFF_0000_0000_0000), 8);
        yield return Say($"write from a kernel address: {Ret} {(Errno)Errno}");
        yield return Sys(SysCall.Open, (long)Unmapped, 0);
        yield return Say($"open of an unmapped path: {Ret} {(Errno)Errno}");
        yield return Sys(SysCall.Pipe, 0x10_0000);   // text: read-only
        yield return Say($"pipe into read-only text: {Ret} {(Errno)Errno}");
        yield return Fork();
        if (Ret == 0) yield return Exit(0);
        yield return Sys(SysCall.Wait4, -1, (long)Unmapped, 0, 0);
        yield return Say($"wait4 with a bad status pointer: {Ret} {(Errno)Errno}");
        yield return Sys(SysCall.Nanosleep, (long)Unmapped, 0);
        yield return Say($"nanosleep of a bad timespec: {Ret} {(Errno)Errno}");
        yield return Op.Return(0);
    }

    private IEnumerator<Op> ExecErrors()
    {
        yield return Execve("/bin/nosuch", ["nosuch"]);
        yield return Say($"exec of a missing program: {Ret} {(Errno)Errno}");
        yield return Execve("/etc/rc", ["rc"]);
        yield return Say($"exec of a plain file: {Ret} {(Errno)Errno}");
        var huge = new string('x', 300 * 1024);
        yield return Malloc(2 * huge.Length + 4096);
        ulong heap = (ulong)Ret;
        ulong vector = heap, s1 = heap + 64, s2 = s1 + (ulong)huge.Length + 1;
        StoreString(s1, huge);
        StoreString(s2, huge);
        StoreLong(vector, (long)s1);
        StoreLong(vector + 8, (long)s2);
        StoreLong(vector + 16, 0);
        StoreString(heap + 32, "/bin/echo");
        yield return Sys(SysCall.Execve, (long)(heap + 32), (long)vector, 0);
        yield return Say($"exec with 600 KiB of arguments: {Ret} {(Errno)Errno}");
        yield return Sys(SysCall.Execve, (long)(heap + 32), (long)Unmapped, 0);
        yield return Say($"exec with a bad argv: {Ret} {(Errno)Errno}");
        yield return Execve("/bin/probe", ["probe", "args", "two words", ""], ["A=1", "B=x y"]);
        yield return Say("not reached");
        yield return Op.Return(1);
    }

    private IEnumerator<Op> PrintArgs()
    {
        int envc = 0;
        var env = new List<string>();
        for (ulong p; (p = (ulong)LoadLong(Envp + 8 * (ulong)envc)) != 0; envc++) env.Add(LoadString(p));
        yield return Say($"argc {Argc}: [{string.Join("] [", Args)}]; envp: [{string.Join("] [", env)}]; sp 16-aligned {Sp % 16 == 0}, argv at sp+8 {Argv == Sp + 8}");
        yield return Op.Return(0);
    }

    private IEnumerator<Op> Segv(string how) => InChild(how, how);

    private IEnumerator<Op> SegvChild(string how)
    {
        bool ok = how switch
        {
            "unmapped" => StoreLong(Unmapped, 1),
            "text" => StoreLong(0x10_0000, 1),
            "kernel" => LoadLong(0xFFFF_0000_0000_0000) == 0 && false,
            "guard" => StoreLong(UserLayout.UsrStack - UserLayout.StackSize - 8, 1),
            _ => true,
        };
        yield return Say($"child survived the access: {ok}");
    }

    private IEnumerator<Op> SigPipe(bool ignore)
    {
        if (ignore) yield return Sigaction(Signal.SIGPIPE, SigAction.SIG_IGN);
        yield return Pipe();
        var (r, w) = PipeFds;
        yield return Close(r);
        yield return Fork();
        long pid = Ret;
        if (pid == 0)
        {
            yield return Write(w, "lost"u8);
            yield return Say($"write to a pipe without reader: {Ret} {(Errno)Errno}");
            yield return Exit(0);
        }
        yield return Wait4(pid);
        yield return Say($"writer: {Wait.Describe(WaitStatus)}");
        yield return Op.Return(0);
    }

    private IEnumerator<Op> KillSleeper()
    {
        yield return Fork();
        long pid = Ret;
        if (pid == 0)
        {
            yield return Nanosleep(10_000_000_000);   // 10 s: killed long before
            yield return Say("sleeper woke up");
            yield return Exit(0);
        }
        yield return Nanosleep(1_000_000);
        yield return Kill(pid, 0);
        yield return Say($"kill 0 (exists?): {Ret}");
        yield return Kill(pid, Signal.SIGTERM);
        yield return Wait4(pid);
        yield return Say($"sleeper: {Wait.Describe(WaitStatus)}");
        yield return Kill(pid, Signal.SIGTERM);
        yield return Say($"kill of a reaped pid: {Ret} {(Errno)Errno}");
        yield return Kill(1, Signal.SIGKILL);
        yield return Say($"kill of init: {Ret}");
        yield return Op.Return(0);
    }

    /// <summary>100 ms of computing (4 time slices at 2.5 GHz), saying so half way and at the end.</summary>
    private IEnumerator<Op> Spin(string name)
    {
        for (int i = 0; i < 100; i++)
        {
            yield return Op.Work(2_500_000);
            if (i == 49) yield return Say($"{name} half");
        }
        yield return Say($"{name} done");
        yield return Op.Return(0);
    }

    /// <summary>A child that yields a kernel-only request (a sleep) from user code.</summary>
    private IEnumerator<Op> Illegal() => InChild("illegal", "illegal");

    private static IEnumerator<Op> IllegalChild()
    {
        yield return Op.Sleep(new object());
    }

    /// <summary>mmap, mprotect and munmap through the system calls, each followed by an access that shows the effect.</summary>
    private IEnumerator<Op> Mprotect()
    {
        yield return MmapAnon(2 * 4096);
        ulong va = (ulong)Ret;
        yield return Say($"mmap at the mmap base: {va == 0x40_0000_0000}, store: {StoreLong(va, 5)}, load: {LoadLong(va)}");
        yield return Sys(SysCall.Mprotect, (long)va, 4096, 1);
        yield return Say($"mprotect PROT_READ: {Ret}, load: {LoadLong(va)}");
        yield return Sys(SysCall.Mprotect, (long)va + 1, 4096, 1);
        yield return Say($"mprotect of an unaligned address: {Ret} {(Errno)Errno}");
        yield return Munmap(va + 4096, 4096);
        yield return Say($"munmap of the second page: {Ret}");
        yield return Sys(SysCall.Obreak, 0x100);
        yield return Say($"obreak below the data segment: {Ret} {(Errno)Errno}");
        yield return Fork();
        long pid = Ret;
        if (pid == 0)
        {
            StoreLong(va, 6);   // read-only now
            yield return Exit(0);
        }
        yield return Wait4(pid);
        yield return Say($"store to the read-only page: {Wait.Describe(WaitStatus)}");
        yield return Fork();
        pid = Ret;
        if (pid == 0)
        {
            LoadLong(va + 4096);   // unmapped now
            yield return Exit(0);
        }
        yield return Wait4(pid);
        yield return Say($"load from the unmapped page: {Wait.Describe(WaitStatus)}");
        yield return Op.Return(0);
    }

    /// <summary>A child whose C# throws: a bug in a program kills the program, not the kernel.</summary>
    private IEnumerator<Op> Throw() => InChild("throwing child", "throw");

    private static IEnumerator<Op> ThrowingChild()
    {
        yield return Op.Work(10);
        throw new InvalidOperationException("a bug in the program");
    }

    /// <summary>A child runs a frame its parent made before fork (the fork rule broken): SIGSEGV, not a panic.</summary>
    private IEnumerator<Op> Stale()
    {
        var madeBeforeFork = SegvChild("unmapped");   // belongs to the parent's program object, hence its context
        yield return Fork();
        long pid = Ret;
        if (pid == 0)
        {
            yield return Op.Call(madeBeforeFork);
            yield return Exit(0);
        }
        yield return Wait4(pid);
        yield return Say($"stale frame in the child: {Wait.Describe(WaitStatus)}");
        yield return Op.Return(0);
    }

    /// <summary>An unknown system call number: SIGSYS, or ENOSYS with SIGSYS ignored.</summary>
    private IEnumerator<Op> NoSys()
    {
        yield return Op.Call(InChild("syscall 311", "nosys"));
        yield return Sigaction(Signal.SIGSYS, SigAction.SIG_IGN);
        yield return Sys((SysCall)311);
        yield return Say($"with SIGSYS ignored: {Ret} {(Errno)Errno}");
        yield return Op.Return(0);
    }

    private static IEnumerator<Op> UnknownSyscall()
    {
        yield return Sys((SysCall)311);
    }

    /// <summary>
    /// Runs the child body <paramref name="what"/> in a forked child that then exits 0, waits, and says how the child
    /// ended. The child makes its frame after fork: a frame (or a lambda) made before would belong to the parent's
    /// program object (the fork rule, docs/userland.md).
    /// </summary>
    private IEnumerator<Op> InChild(string label, string what)
    {
        yield return Fork();
        long pid = Ret;
        if (pid == 0)
        {
            yield return Op.Call(what switch
            {
                "illegal" => IllegalChild(),
                "throw" => ThrowingChild(),
                "nosys" => UnknownSyscall(),
                _ => SegvChild(what),
            });
            yield return Exit(0);
        }
        yield return Wait4(pid);
        yield return Say($"{label}: {Wait.Describe(WaitStatus)}");
        yield return Op.Return(0);
    }

    private IEnumerator<Op> SleepThenPrint()
    {
        yield return ClockGettime(CLOCK_MONOTONIC);
        long before = ClockNanoseconds;
        yield return Nanosleep(2_000_000);   // 2 ms
        yield return ClockGettime(CLOCK_MONOTONIC);
        long slept = ClockNanoseconds - before;
        yield return Say($"clock_gettime saw 2 ms go by: {slept >= 2_000_000 && slept < 2_100_000}");
        yield return Op.Work(50_000_000);   // 20 ms of computing
        var tms = new long[4];
        yield return Times(tms);
        yield return Say($"times: {tms[0]} ticks of user time, uptime {Ctx.X0} ticks");
        yield return Sys(SysCall.ClockGettime, 9, (long)OutArea);
        yield return Say($"an unknown clock: {Ret} {(Errno)Errno}");
        yield return Getrusage(Rusage.RUSAGE_SELF);
        var (user, sys) = RusageMicroseconds;
        yield return Say($"getrusage: {user / 1000} ms user, system under 1 ms: {sys < 1000}");
        yield return Op.Return(0);
    }
}
