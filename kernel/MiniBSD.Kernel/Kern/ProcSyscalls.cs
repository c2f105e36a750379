using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Kernel.Kern;

/// <summary>
/// The small process system calls, each marked with its OpenBSD file: sys_getpid and sys_getppid (kern_prot.c),
/// sys_kill, sys_sigaction and sys_sigprocmask (kern_sig.c), sys_sched_yield (kern_synch.c), sys_nanosleep
/// (kern_time.c), sys_getrusage (kern_resource.c), and sys_mmap, sys_munmap, sys_mprotect and sys_obreak
/// (uvm_mmap.c, over <see cref="Uvm.Uvm"/>'s implementations).
/// </summary>
public sealed class ProcSyscalls(Uvm.Uvm uvm, Sched sched, KernProc procs)
{
    public void Register(Sysent s)
    {
        s.Add(SysCall.Getpid, SysGetpid);
        s.Add(SysCall.Getppid, SysGetppid);
        s.Add(SysCall.Kill, SysKill);
        s.Add(SysCall.Sigaction, SysSigaction);
        s.Add(SysCall.Sigprocmask, SysSigprocmask);
        s.Add(SysCall.SchedYield, SysSchedYield);
        s.Add(SysCall.Nanosleep, SysNanosleep);
        s.Add(SysCall.ClockGettime, SysClockGettime);
        s.Add(SysCall.Getrusage, SysGetrusage);
        s.Add(SysCall.Mmap, SysMmap);
        s.Add(SysCall.Munmap, SysMunmap);
        s.Add(SysCall.Mprotect, SysMprotect);
        s.Add(SysCall.Obreak, SysObreak);
    }

    private static IEnumerator<Op> Result(long value) => Op.Returning(value);

    private static IEnumerator<Op> Result(Errno error, long value = 0) => Op.Returning(error == Errno.None ? value : -(long)error);

    private long Now(Proc p) => uvm.Machine.Cpu(p.Cpu).Clock;

    // kern_prot.c

    private IEnumerator<Op> SysGetpid(Proc p, SyscallArgs a) => Result(p.Process!.Pid);

    private IEnumerator<Op> SysGetppid(Proc p, SyscallArgs a) => Result(p.Process!.Parent?.Pid ?? 0);

    // kern_sig.c

    /// <summary>
    /// sys_kill(pid, signum): EINVAL for a bad signal; pid &gt; 0 that process (a zombie takes the signal silently),
    /// 0 the caller's process group, -1 every process but init, system processes and the caller, &lt; -1 group -pid;
    /// ESRCH when nothing matches. Signal 0 only checks. Init is never killed by a signal it does not handle (it would
    /// take the system down; Linux's init is protected so, and OpenBSD's init installs handlers).
    /// </summary>
    private IEnumerator<Op> SysKill(Proc p, SyscallArgs a)
    {
        int pid = (int)a.A0, signum = (int)a.A1;
        if (signum < 0 || signum >= SigProps.NSIG) return Result(Errno.EINVAL);
        if (pid > 0)
        {
            if (procs.Prfind(pid) is not { } target) return Result(procs.Zombiefind(pid) is null ? Errno.ESRCH : Errno.None);
            Deliver(p, target, signum);
            return Result(Errno.None);
        }
        var self = p.Process!;
        int found = 0;
        foreach (var target in procs.All.ToArray())
        {
            bool match = pid switch
            {
                0 => target.Pgid == self.Pgid,
                -1 => target.Pid != 1 && target != self && !target.Is(ProcessFlags.System),
                _ => target.Pgid == -pid,
            };
            if (!match || target.Is(ProcessFlags.System)) continue;
            found++;
            Deliver(p, target, signum);
        }
        return Result(found == 0 ? Errno.ESRCH : Errno.None);
    }

    private void Deliver(Proc p, Process target, int signum)
    {
        if (signum == 0) return;
        var signal = (Signal)signum;
        bool fatal = target.SigActs.Disposition(signal) is SigDisposition.Terminate or SigDisposition.Core;
        if (target.Pid == 1 && fatal) return;
        KernSigPost.Ptsignal(sched, target, signal, Now(p));
    }

    /// <summary>
    /// sys_sigaction(signum, nsa, osa): struct sigaction is 16 bytes (handler, mask, flags). MiniBSD programs cannot
    /// run signal handlers (there are no user instructions to jump to), so a handler other than SIG_DFL or SIG_IGN is
    /// EINVAL; the rest is sigaction(2): EINVAL for a bad signal or for SIGKILL/SIGSTOP, EFAULT for a bad pointer.
    /// </summary>
    private IEnumerator<Op> SysSigaction(Proc p, SyscallArgs a)
    {
        var pr = p.Process!;
        SigAction? nsa = null;
        Span<byte> buf = stackalloc byte[16];
        if (a.A1 != 0)
        {
            if (Copy.Copyin(uvm, p, (ulong)a.A1, buf) is var e and not Errno.None) return Result(e);
            var sa = new SigAction(BitConverter.ToUInt64(buf), BitConverter.ToUInt32(buf[8..]), (SaFlags)BitConverter.ToInt32(buf[12..]));
            if (sa.Handler > SigAction.SIG_IGN) return Result(Errno.EINVAL);
            nsa = sa;
        }
        var error = pr.SigActs.Sigaction((int)a.A0, nsa, out var old, isInit: pr.Pid == 1);
        if (error == Errno.None && a.A2 != 0)
        {
            BitConverter.TryWriteBytes(buf, old.Handler);
            BitConverter.TryWriteBytes(buf[8..], old.Mask);
            BitConverter.TryWriteBytes(buf[12..], (int)old.Flags);
            error = Copy.Copyout(uvm, p, buf, (ulong)a.A2);
        }
        return Result(error);
    }

    /// <summary>sys_sigprocmask(how, mask): the mask by value, the old mask as the result (libc stores it); EINVAL.</summary>
    private IEnumerator<Op> SysSigprocmask(Proc p, SyscallArgs a)
    {
        var error = p.Process!.SigActs.Sigprocmask((int)a.A0, (uint)a.A1, out uint old);
        return Result(error, old);
    }

    // kern_synch.c

    private static IEnumerator<Op> SysSchedYield(Proc p, SyscallArgs a)
    {
        yield return Op.Yield;
        yield return Op.Return(0);
    }

    // kern_time.c

    /// <summary>
    /// sys_nanosleep(rqtp, rmtp): sleeps for the struct timespec (16 bytes) in simulated time; EINVAL for a negative
    /// time or nanoseconds outside [0, 1e9); EFAULT; EINTR if a signal ends it (rmtp is not written then).
    /// </summary>
    private IEnumerator<Op> SysNanosleep(Proc p, SyscallArgs a)
    {
        var ts = new byte[16];
        var error = Copy.Copyin(uvm, p, (ulong)a.A0, ts);
        long sec = BitConverter.ToInt64(ts), nsec = BitConverter.ToInt64(ts, 8);
        if (error == Errno.None && (sec < 0 || nsec is < 0 or >= 1_000_000_000)) error = Errno.EINVAL;
        if (error != Errno.None)
        {
            yield return Op.Return(-(long)error);
            yield break;
        }
        long hz = uvm.Machine.Costs.FrequencyHz;
        Int128 exact = (Int128)sec * hz + (Int128)nsec * hz / 1_000_000_000;
        long cycles = exact > long.MaxValue / 2 ? long.MaxValue / 2 : (long)exact;
        yield return Op.SleepCatch(new object(), cycles);   // nobody wakes this channel: only the timeout ends it
        if (a.A1 != 0) error = Copy.Copyout(uvm, p, new byte[16], (ulong)a.A1);   // all of it slept: 0 remains
        yield return Op.Return(-(long)error);
    }

    /// <summary>
    /// sys_clock_gettime(clock_id, tp): CLOCK_REALTIME (0, the epoch is the boot), CLOCK_MONOTONIC (3) and
    /// CLOCK_UPTIME (5) read this CPU's simulated clock; CLOCK_PROCESS_CPUTIME_ID (2) and CLOCK_THREAD_CPUTIME_ID (4)
    /// the cycles the process or thread has run. EINVAL for another clock, EFAULT.
    /// </summary>
    private IEnumerator<Op> SysClockGettime(Proc p, SyscallArgs a)
    {
        long cycles = a.A0 switch
        {
            0 or 3 or 5 => Now(p),
            2 => p.Process!.RunCycles + p.RunCycles,
            4 => p.RunCycles,
            _ => -1,
        };
        if (cycles < 0) return Result(Errno.EINVAL);
        long hz = uvm.Machine.Costs.FrequencyHz;
        Span<byte> ts = stackalloc byte[16];
        BitConverter.TryWriteBytes(ts, cycles / hz);
        BitConverter.TryWriteBytes(ts[8..], (long)((Int128)(cycles % hz) * 1_000_000_000 / hz));
        return Result(Copy.Copyout(uvm, p, ts, (ulong)a.A1));
    }

    // kern_resource.c

    /// <summary>sys_getrusage(who, rusage): RUSAGE_SELF, RUSAGE_THREAD or RUSAGE_CHILDREN (waited-for children); EINVAL, EFAULT.</summary>
    private IEnumerator<Op> SysGetrusage(Proc p, SyscallArgs a)
    {
        var pr = p.Process!;
        int who = (int)a.A0;
        if (who is not (Rusage.RUSAGE_SELF or Rusage.RUSAGE_THREAD or Rusage.RUSAGE_CHILDREN)) return Result(Errno.EINVAL);
        sched.StatClock.Flush(uvm.Machine.Cpu(p.Cpu));   // the ticks up to now
        var tu = who switch
        {
            Rusage.RUSAGE_SELF => pr.Tu + p.Tu,      // calcru over ps_tu and the live thread's p_tu
            Rusage.RUSAGE_THREAD => p.Tu,
            _ => pr.Cru,
        };
        Span<byte> ru = stackalloc byte[Rusage.Size];
        Rusage.Write(ru, tu);
        return Result(Copy.Copyout(uvm, p, ru, (ulong)a.A1));
    }

    // uvm_mmap.c

    /// <summary>sys_mmap(addr, len, prot, flags, fd, pos): anonymous memory only; fd must be -1 (EBADF otherwise).</summary>
    private IEnumerator<Op> SysMmap(Proc p, SyscallArgs a)
    {
        if (a.A4 != -1) return Result(Errno.EBADF);
        var error = uvm.SysMmap(Cpu(p), p.Process!.Vmspace!, (ulong)a.A0, (ulong)a.A1, (VmProt)a.A2, (MapFlags)a.A3, out ulong addr);
        return Result(error, (long)addr);
    }

    private IEnumerator<Op> SysMunmap(Proc p, SyscallArgs a) =>
        Result(uvm.SysMunmap(Cpu(p), p.Process!.Vmspace!, (ulong)a.A0, (ulong)a.A1));

    private IEnumerator<Op> SysMprotect(Proc p, SyscallArgs a) =>
        Result(uvm.SysMprotect(Cpu(p), p.Process!.Vmspace!, (ulong)a.A0, (ulong)a.A1, (VmProt)a.A2));

    private IEnumerator<Op> SysObreak(Proc p, SyscallArgs a) =>
        Result(uvm.SysObreak(Cpu(p), p.Process!.Vmspace!, (ulong)a.A0));

    private Hal.Cpu Cpu(Proc p) => uvm.Machine.Cpu(p.Cpu);
}
