using MiniBSD.Hal;
using MiniBSD.Kernel.Abi;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Kern;

/// <summary>exit1, exit2 and the reaper (kern_exit.c 1.252, reference §3.2).</summary>
public sealed partial class KernExit
{
    private Proc? _reaper;

    /// <summary>
    /// exit1 for a single-threaded process, run by its thread in the kernel (from sys_exit or a fatal signal):
    /// PS_EXITING and the status; fdfree; PS_NOZOMBIE if the parent has SAS_NOCLDWAIT; then, for a user process,
    /// __mp_release_all(&amp;kernel_lock), uvm_purge, KERNEL_LOCK; off allprocess (onto zombprocess unless
    /// PS_NOZOMBIE); children to init; a PS_NOZOMBIE process goes to init too and its parent is woken (so a wait
    /// there sees ECHILD); pmap_deactivate (a no-op after pmap_purge); sched_exit. Never returns.
    /// </summary>
    public IEnumerator<Op> Exit1(Proc p, int xexit, int xsig)
    {
        var pr = p.Process!;
        Kassert(pr.Pid != 1, "init died (signal {0}, exit {1})", xsig, xexit);
        Kassert(!pr.Is(ProcessFlags.Exiting), "exit1: {0} is already exiting", pr);
        pr.Flags |= ProcessFlags.Exiting;
        (pr.XExit, pr.XSig) = (xexit, xsig);
        LogExit(p, xexit, xsig);

        if (pr.Fd is { } fd)
        {
            pr.Fd = null;
            yield return Op.Call(fd.FdFree());
        }
        if (pr.Parent is { SigActs.NoCldWait: true }) pr.Flags |= ProcessFlags.NoZombie;

        if (!pr.Is(ProcessFlags.System) && pr.Vmspace is { } vm)
        {
            yield return Op.ReleaseAll(KernelLock);   // the costly teardown runs without the big lock
            _uvm.UvmPurge(CurCpu(p), vm);   // the scheduler charges the cycles to p
        }
        if (KernelLock.Owner != p) yield return Op.Lock(KernelLock);   // the process lists change under the big lock

        _procs.MakeZombie(pr);
        var init = _procs.Init!;
        if (pr.Children.Count > 0) yield return Op.Wakeup(init);   // a zombie among them is init's to reap now
        foreach (var child in pr.Children.ToArray()) KernProc.ProcReparent(child, init);

        pr.RunCycles += p.RunCycles;
        pr.UserCycles += p.UserCycles;
        if (pr.Is(ProcessFlags.NoZombie))
        {
            var parent = pr.Parent!;
            KernProc.ProcReparent(pr, init);
            yield return Op.Wakeup(parent);
        }

        if (pr.Vmspace is { } space) _uvm.Pmaps.PmapDeactivate(CurCpu(p), space.Pmap);
        yield return Op.ReleaseAll(KernelLock);       // sched_toidle releases every kernel-lock hold
        yield return Op.Exit(xexit);                  // sched_exit; the scheduler calls exit2 once p is off its CPU
    }

    /// <summary>dmesg: a process killed by a signal always, a normal exit at debug level.</summary>
    private void LogExit(Proc p, int xexit, int xsig)
    {
        var pr = p.Process!;
        if (xsig != 0) Dmesg?.Printf(CurCpu(p), $"pid {pr.Pid} ({pr.Command}): killed by {(Abi.Signal)xsig}");
        else if (Dmesg is { DebugEnabled: true }) Dmesg.Debug(CurCpu(p), $"pid {pr.Pid} ({pr.Command}): exit {xexit}");
    }

    /// <summary>exit2: the dead thread joins the tail of deadproc and the reaper is woken.</summary>
    private void Exit2(Cpu cpu, Proc p)
    {
        if (p.Process is not { } pr || !pr.Is(ProcessFlags.Exiting)) return;   // ended without exit1: a kernel thread
        _deadproc.Enqueue(p);
        _sched.Wakeup(_deadproc, cpu.Clock);
    }

    /// <summary>Starts the reaper kernel thread.</summary>
    public Proc StartReaper(int cpu = 0)
    {
        Kassert(_reaper is null, "reaper: already running");
        return _reaper = _sched.Spawn("reaper", Reaper(), cpu);
    }

    /// <summary>
    /// reaper: for each dead thread in FIFO order, uvm_exit (cheap now: the map is empty, so this is pmap_destroy and
    /// the ASID), then under the kernel lock either make the zombie, post SIGCHLD to the parent and wake it, or
    /// process_zap a PS_NOZOMBIE process.
    /// </summary>
    private IEnumerator<Op> Reaper()
    {
        while (true)
        {
            if (!_deadproc.TryDequeue(out var p))
            {
                yield return Op.Sleep(_deadproc);
                continue;
            }
            var pr = p.Process!;
            if (pr.Vmspace is { } vm)
            {
                pr.Vmspace = null;
                _uvm.UvmExit(CurCpu(_reaper!), vm);
            }
            yield return Op.Lock(KernelLock);
            if (pr.Is(ProcessFlags.NoZombie))
            {
                _procs.ProcessZap(pr);
            }
            else
            {
                pr.Flags |= ProcessFlags.Zombie;
                var parent = pr.Parent!;
                Prsignal(parent, Signal.SIGCHLD);
                yield return Op.Wakeup(parent);
            }
            yield return Op.Unlock(KernelLock);
        }
    }

    /// <summary>prsignal's posting step: a signal the process ignores is dropped, any other joins ps_siglist.</summary>
    public static void Prsignal(Process pr, Signal signal)
    {
        if (pr.SigActs.DiscardsOnPost(signal)) return;
        pr.SigList |= SigSet.Mask(signal);
    }

    private Cpu CurCpu(Proc p) => _uvm.Machine.Cpu(p.Cpu);
}
