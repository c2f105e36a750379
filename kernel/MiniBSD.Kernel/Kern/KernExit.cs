using MiniBSD.Kernel.Abi;

namespace MiniBSD.Kernel.Kern;

/// <summary>What wait4 hands back besides the pid: the status word and the child's run time (its rusage).</summary>
public sealed class WaitResult
{
    public int Status { get; internal set; }
    public long ChildRunCycles { get; internal set; }

    /// <summary>The child's rusage times: ps_ru, what its exit1 handed over (its own and its waited-for children's).</summary>
    public TUsage ChildUsage { get; internal set; }

    /// <summary>The zombie collected, for the exit latency measured when wait4 returns.</summary>
    internal Process? Zombie { get; set; }
}

/// <summary>
/// kern_exit.c, in OpenBSD's 2025 shape: exit1 (run by the exiting thread, tearing its address space down itself with
/// uvm_purge, without the kernel lock), exit2 (the dead thread onto the FIFO deadproc list), the reaper (frees what is
/// left and makes the zombie) and wait4 (dowait6). Building it registers exit2 as the scheduler's exit hook.
/// </summary>
public sealed partial class KernExit
{
    private readonly KernProc _procs;
    private readonly Uvm.Uvm _uvm;
    private readonly Sched _sched;
    // deadproc: a TAILQ taken from the head and filled at the tail (FIFO) since kern_exit.c 1.252; before, a LIST
    // with insert-at-head (LIFO). One or the other is used, by ExitPath.
    private readonly Queue<Proc> _deadFifo = new();
    private readonly Stack<Proc> _deadLifo = new();

    public KernExit(KernProc procs, Uvm.Uvm uvm, Sched sched, MpLock kernelLock)
    {
        _procs = procs;
        _uvm = uvm;
        _sched = sched;
        KernelLock = kernelLock;
        sched.BigLock = kernelLock;
        sched.ExitHook = Exit2;
    }

    internal Sched Sched => _sched;

    internal Dmesg? Dmesg { get; set; }

    /// <summary>KERNEL_LOCK, the big lock exit1 releases around uvm_purge.</summary>
    public MpLock KernelLock { get; }

    /// <summary>Threads exit2 queued that the reaper has not taken yet.</summary>
    public int DeadCount => _deadFifo.Count + _deadLifo.Count;

    /// <summary>Where and in what order address spaces are torn down (set before the first exit).</summary>
    public ExitPath Path { get; init; } = ExitPath.Purge;

    /// <summary>What the exit path has cost so far, and (when recording) each step.</summary>
    public ExitStats Stats { get; } = new();

    /// <summary>The wait4 options MiniBSD accepts (sys_wait4 rejects any other bit with EINVAL).</summary>
    private const int ValidOptions = Wait.WNOHANG | Wait.WUNTRACED | Wait.WCONTINUED;

    /// <summary>
    /// dowait6 for wait4(pid, &amp;status, options): a frame that returns the pid of a zombie child it reaped (its
    /// status in <paramref name="result"/>), 0 under WNOHANG while matching children still run, or -errno: ECHILD
    /// when no child matches (children that will leave no zombie, PS_NOZOMBIE, do not count), EINVAL for unknown
    /// options. Otherwise it sleeps on the parent until a child's exit wakes it, and looks again.
    /// pid: -1 any child, &gt; 0 that child, 0 any child in the caller's process group, &lt; -1 any in group -pid.
    /// </summary>
    /// <paramref name="catchSignals"/>: the sleep is PCATCH (a system call's; a signal ends it with EINTR).
    public IEnumerator<Op> Dowait6(Process parent, int pid, int options, WaitResult result, bool catchSignals = false)
    {
        if ((options & ~ValidOptions) != 0)
        {
            yield return Op.Return(-(long)Errno.EINVAL);
            yield break;
        }
        while (true)
        {
            var (found, zombie) = Scan(parent, pid);
            if (zombie is not null)
            {
                result.Zombie = zombie;
                result.Status = Wait.ExitCode(zombie.XExit, zombie.XSig);
                result.ChildRunCycles = zombie.RunCycles + zombie.ChildRunCycles;
                result.ChildUsage = zombie.Ru;
                _procs.ProcFinishWait(parent, zombie);
                yield return Op.Return(zombie.Pid);
                yield break;
            }
            if (found == 0)
            {
                yield return Op.Return(-(long)Errno.ECHILD);
                yield break;
            }
            if ((options & Wait.WNOHANG) != 0)
            {
                yield return Op.Return(0);
                yield break;
            }
            // tsleep(q->p_p, PWAIT | PCATCH, "wait"): exit1 and the reaper wake the parent
            yield return catchSignals ? Op.SleepCatch(parent) : Op.Sleep(parent);
        }
    }

    /// <summary>dowait6's walk of ps_children: how many match, and the first matching zombie.</summary>
    private static (int Found, Process? Zombie) Scan(Process parent, int pid)
    {
        int found = 0;
        foreach (var child in parent.ChildList)   // the List itself: its enumerator is a struct
        {
            if (child.Is(ProcessFlags.NoZombie) || !Matches(parent, child, pid)) continue;
            found++;
            if (child.Is(ProcessFlags.Zombie)) return (found, child);
        }
        return (found, null);
    }

    private static bool Matches(Process parent, Process child, int pid) => pid switch
    {
        Wait.WAIT_ANY => true,
        Wait.WAIT_MYPGRP => child.Pgid == parent.Pgid,
        < 0 => child.Pgid == -pid,
        _ => child.Pid == pid,
    };
}
