using MiniBSD.Hal;
using MiniBSD.Kernel.Abi;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Kern;

/// <summary>
/// exit1, exit2 and the reaper, in the order <see cref="Path"/> names: OpenBSD's since 2025 (kern_exit.c 1.252,
/// reference §3.2), the one before it (1.242, §3.1), and two wrong turns of the 2025 discussion.
/// </summary>
public sealed partial class KernExit
{
    private Proc? _reaper;

    /// <summary>The deadproc list's channel: exit2 wakes the reaper on it.</summary>
    private object DeadprocChannel => _deadFifo;

    /// <summary>
    /// exit1 for a single-threaded process, run by its thread in the kernel (from sys_exit or a fatal signal):
    /// PS_EXITING and the status; fdfree; PS_NOZOMBIE if the parent has SAS_NOCLDWAIT; then, on every path but the
    /// legacy reaper, for a user process: __mp_release_all(&amp;kernel_lock), uvm_purge (or the path's variant of it),
    /// KERNEL_LOCK; off allprocess (onto zombprocess unless PS_NOZOMBIE); children to init; a PS_NOZOMBIE process goes
    /// to init too and its parent is woken (so a wait there sees ECHILD); pmap_deactivate (a no-op after pmap_purge,
    /// cpu_exit's real work on the legacy path); sched_exit. Never returns.
    /// </summary>
    public IEnumerator<Op> Exit1(Proc p, int xexit, int xsig)
    {
        var pr = p.Process!;
        Kassert(pr.Pid != 1, "init died (signal {0}, exit {1})", xsig, xexit);
        Kassert(!pr.Is(ProcessFlags.Exiting), "exit1: {0} is already exiting", pr);
        pr.Flags |= ProcessFlags.Exiting;
        (pr.XExit, pr.XSig) = (xexit, xsig);
        pr.ExitCost = new ExitTimes(p.Cpu, CurCpu(p).Clock);
        LogExit(p, xexit, xsig);
        Step(p, ExitStep.Exit1);
        if (KernFork.ReleasePpwait(pr)) yield return Op.Wakeup(pr.Parent!);   // a vfork parent waiting for us: wake it early
        TuaggAddProcess(p);   // off ps_threads: the thread's time so far into ps_tu; p_tu starts again from 0

        if (pr.Fd is { } fd)
        {
            pr.Fd = null;
            yield return Op.Call(fd.FdFree());
            Step(p, ExitStep.Fdfree);
        }
        if (pr.Parent is { SigActs.NoCldWait: true }) pr.Flags |= ProcessFlags.NoZombie;

        if (Path.TearsDownInExit1() && !pr.Is(ProcessFlags.System) && pr.Vmspace is { } vm)
        {
            yield return Op.ReleaseAll(KernelLock);   // the costly teardown runs without the big lock
            Step(p, ExitStep.ReleaseKernelLock, p.Retval);   // the holds released: 1 from exit(2)'s mi_syscall
            Purge(p, vm);   // the scheduler charges the cycles to p
        }
        if (KernelLock.Owner != p)
        {
            yield return Op.Lock(KernelLock);   // the process lists change under the big lock
            Step(p, ExitStep.KernelLock);
        }

        _procs.MakeZombie(pr);
        Step(p, ExitStep.Zombprocess);
        var init = _procs.Init!;
        if (pr.Children.Count > 0) yield return Op.Wakeup(init);   // a zombie among them is init's to reap now
        foreach (var child in pr.Children.ToArray()) KernProc.ProcReparent(child, init);

        pr.RunCycles += p.RunCycles;
        pr.Ru = pr.Tu + pr.Cru;   // calcru(&ps_tu) then ruadd(rup, &ps_cru): what wait4 hands the parent
        if (pr.Is(ProcessFlags.NoZombie))
        {
            var parent = pr.Parent!;
            KernProc.ProcReparent(pr, init);
            yield return Op.Wakeup(parent);
        }

        if (pr.Vmspace is { } space)
        {
            bool active = space.Pmap.Active > 0;   // 0 after pmap_purge: then this is a no-op
            _uvm.Pmaps.PmapDeactivate(CurCpu(p), space.Pmap);
            Step(p, ExitStep.PmapDeactivate, active ? 1 : 0);
        }
        yield return Op.ReleaseAll(KernelLock);       // sched_toidle releases every kernel-lock hold
        Step(p, ExitStep.SchedExit);
        yield return Op.Exit(xexit);                  // sched_exit; the scheduler calls exit2 once p is off its CPU
    }

    /// <summary>
    /// The teardown in exit1, as <see cref="Path"/> orders it: uvm_purge (pmap_purge first), uvmspace_purge with the
    /// pmap still active (purge-unordered), or with per-page invalidation skipped while it is still loaded
    /// (purge-broken). The TLB coherence checker's reports name the process while it runs.
    /// </summary>
    private void Purge(Proc p, Uvm.Vmspace vm)
    {
        var cpu = CurCpu(p);
        long start = cpu.Clock, frees = _uvm.Pages.Frees;
        var checker = _uvm.Machine.Checker;
        if (checker.Enabled) checker.Context = CheckerContext("exit1", p.Process!, cpu);
        switch (Path)
        {
            case ExitPath.Purge: _uvm.UvmPurge(cpu, vm); break;
            case ExitPath.PurgeUnordered: _uvm.UvmPurge(cpu, vm, pmapPurge: false); break;
            case ExitPath.PurgeBroken: _uvm.UvmPurge(cpu, vm, pmapPurge: false, Uvm.PmapFlush.Never); break;
            case ExitPath.PurgeRemoveAll: _uvm.UvmPurgeRemoveAll(cpu, vm); break;
            default: throw NoTeardownInExit1();
        }
        if (checker.Enabled) checker.Context = null;
        Stats.Exit1Teardown(cpu.Clock - start, _uvm.Pages.Frees - frees);
        p.Process!.ExitCost = p.Process.ExitCost with { Exit1Cycles = cpu.Clock - start };
        Step(p, ExitStep.UvmPurge, _uvm.Pages.Frees - frees);
    }

    /// <summary>
    /// tuagg_add_process at the top of exit1 (kern_exit.c 1.252): the thread's ticks so far go to ps_tu and its p_tu is
    /// reset. What it does after this (fdfree, uvm_purge, the rest of exit1) is counted in p_tu again, and exit2 adds
    /// it to ps_tu only after calcru made ps_ru: the parent's wait4, and so time(1), never sees it.
    /// </summary>
    private void TuaggAddProcess(Proc p)
    {
        _sched.StatClock.Flush(CurCpu(p));
        p.Process!.Tu.Add(p.Tu);
        p.Tu = default;
    }

    // Strings are made in methods of their own: an interpolated string in a method slows all of it.
    private string CheckerContext(string what, Process pr, Cpu cpu) => $"{what} of pid {pr.Pid} ({pr.Command}) on cpu{cpu.Id}, exit path {Path.Name()}";

    private KernelPanicException NoTeardownInExit1() => Panic($"exit1: exit path {Path.Name()} does not tear down in exit1");

    /// <summary>dmesg: a process killed by a signal always, a normal exit at debug level.</summary>
    private void LogExit(Proc p, int xexit, int xsig)
    {
        var pr = p.Process!;
        if (xsig != 0) Dmesg?.Printf(CurCpu(p), $"pid {pr.Pid} ({pr.Command}): killed by {(Abi.Signal)xsig}");
        else if (Dmesg is { DebugEnabled: true }) Dmesg.Debug(CurCpu(p), $"pid {pr.Pid} ({pr.Command}): exit {xexit}");
    }

    /// <summary>
    /// exit2: the dead thread joins deadproc (at the tail since 1.252; at the head, LIFO, on the legacy path) and the
    /// reaper is woken.
    /// </summary>
    private void Exit2(Cpu cpu, Proc p)
    {
        if (p.Process is not { } pr || !pr.Is(ProcessFlags.Exiting)) return;   // ended without exit1: a kernel thread
        pr.Tu.Add(p.Tu);   // "account the remainder of time spent in exit1()": into ps_tu, after ps_ru was made
        Stats.UnseenByParent(p.Tu);
        p.Tu = default;
        if (Path == ExitPath.Reaper) _deadLifo.Push(p);
        else _deadFifo.Enqueue(p);
        pr.ExitCost = pr.ExitCost with { OnDeadproc = cpu.Clock };
        Stats.DeadListLength(cpu.Clock, DeadCount);
        Note(cpu, pr.Pid, ExitStep.Exit2, DeadCount);
        _sched.Wakeup(DeadprocChannel, cpu.Clock);
    }

    private bool TryTakeDead(out Proc p) =>
        Path == ExitPath.Reaper ? _deadLifo.TryPop(out p!) : _deadFifo.TryDequeue(out p!);

    /// <summary>Cycles the reaper thread has run (system time no process is charged with).</summary>
    public long ReaperRunCycles => _reaper?.RunCycles ?? 0;

    /// <summary>The reaper's time (its p_tu: a kernel thread's, which no process adds up).</summary>
    public TUsage ReaperUsage => _reaper?.Usage ?? default;

    /// <summary>Starts the reaper kernel thread.</summary>
    public Proc StartReaper(int cpu = 0)
    {
        Kassert(_reaper is null, "reaper: already running");
        return _reaper = _sched.Spawn("reaper", Reaper(), cpu);
    }

    /// <summary>
    /// reaper: for each dead thread in deadproc order, uvm_exit (since 1.252 cheap: the map is empty, so this is
    /// pmap_destroy and the ASID; on the legacy path the whole uvm_map_teardown), then under the kernel lock either
    /// make the zombie, post SIGCHLD to the parent and wake it, or process_zap a PS_NOZOMBIE process.
    /// </summary>
    private IEnumerator<Op> Reaper()
    {
        while (true)
        {
            if (!TryTakeDead(out var p))
            {
                yield return Op.Sleep(DeadprocChannel);
                continue;
            }
            var cpu = CurCpu(_reaper!);
            long start = cpu.Clock;
            var pr = p.Process!;
            // CPU clocks are not in lockstep: a reaper running behind may take a thread put on deadproc at a later
            // clock of another CPU; its service is counted from then, so no part of the latency is negative.
            pr.ExitCost = pr.ExitCost with { OffDeadproc = Math.Max(start, pr.ExitCost.OnDeadproc) };
            Stats.DeadListLength(start, DeadCount);
            Note(cpu, pr.Pid, ExitStep.Reaper, DeadCount);
            if (pr.Vmspace is { } vm)
            {
                pr.Vmspace = null;
                UvmExit(cpu, pr, vm);
            }
            long beforeLock = CurCpu(_reaper!).Clock;
            yield return Op.Lock(KernelLock);
            cpu = CurCpu(_reaper!);
            long locked = cpu.Clock;
            Stats.ReaperLock(locked - beforeLock);
            if (pr.Is(ProcessFlags.NoZombie))
            {
                _procs.ProcessZap(pr);
                Note(cpu, pr.Pid, ExitStep.ProcessZap);
            }
            else
            {
                pr.Flags |= ProcessFlags.Zombie;
                var parent = pr.Parent!;
                Prsignal(parent, Signal.SIGCHLD);
                pr.ExitCost = pr.ExitCost with { Zombie = cpu.Clock };
                Note(cpu, pr.Pid, ExitStep.Zombie);
                yield return Op.Wakeup(parent);
            }
            yield return Op.Unlock(KernelLock);
            Stats.ReaperZombieStep(CurCpu(_reaper!).Clock - locked);
            Stats.ReaperBusy(CurCpu(_reaper!).Clock - start);
        }
    }

    /// <summary>uvm_exit in the reaper, measured (on the legacy path it is the whole teardown).</summary>
    private void UvmExit(Cpu cpu, Process pr, Uvm.Vmspace vm)
    {
        long start = cpu.Clock, frees = _uvm.Pages.Frees;
        var checker = _uvm.Machine.Checker;
        if (checker.Enabled) checker.Context = CheckerContext("reaper: uvm_exit", pr, cpu);
        _uvm.UvmExit(cpu, vm);
        if (checker.Enabled) checker.Context = null;
        Stats.ReaperTeardown(cpu.Clock - start, _uvm.Pages.Frees - frees);
        pr.ExitCost = pr.ExitCost with { ReaperCycles = cpu.Clock - start };
        Note(cpu, pr.Pid, ExitStep.UvmExit, _uvm.Pages.Frees - frees);
    }

    /// <summary>wait4 returns <paramref name="zombie"/>'s status to <paramref name="waiter"/>: the exit latency ends here.</summary>
    private void Collected(Proc waiter, Process zombie)
    {
        var cpu = CurCpu(waiter);
        var t = zombie.ExitCost;
        Stats.Collected(new ProcessExit(zombie.Pid, zombie.Command, t.Cpu, t.Start, t.Exit1Cycles, t.ReaperCycles, cpu.Clock - t.Start,
            t.OnDeadproc - t.Start, t.OffDeadproc - t.OnDeadproc, t.Zombie - t.OffDeadproc, cpu.Clock - t.Zombie));
        Note(cpu, zombie.Pid, ExitStep.Dowait6);
    }

    /// <summary>prsignal's posting step: a signal the process ignores is dropped, any other joins ps_siglist.</summary>
    public static void Prsignal(Process pr, Signal signal)
    {
        if (pr.SigActs.DiscardsOnPost(signal)) return;
        pr.SigList |= SigSet.Mask(signal);
    }

    private void Step(Proc p, ExitStep step, long detail = 0) => Note(CurCpu(p), p.Process!.Pid, step, detail);

    /// <summary>One step of a process's end: into the stats, and into dmesg at debug level (minibsd --verbose).</summary>
    private void Note(Cpu cpu, int pid, ExitStep step, long detail = 0)
    {
        Stats.Step(cpu.Clock, cpu.Id, pid, step, detail);
        if (Dmesg is { DebugEnabled: true } dmesg) dmesg.Debug(cpu, StepMessage(pid, step, detail));
    }

    private string StepMessage(int pid, ExitStep step, long detail) =>
        $"pid {pid}: {StepNames[(int)step]}{(detail != 0 ? $" ({detail})" : "")} [exit path {Path.Name()}]";

    /// <summary>OpenBSD's name for each step, as dmesg shows it.</summary>
    private static readonly string[] StepNames =
    [
        "exit1", "fdfree", "__mp_release_all(&kernel_lock)", "uvm_purge", "KERNEL_LOCK", "zombprocess", "pmap_deactivate",
        "sched_exit", "exit2: on deadproc", "reaper: off deadproc", "uvm_exit", "zombie: SIGCHLD, wakeup parent",
        "process_zap", "wait4 returns",
    ];

    private Cpu CurCpu(Proc p) => _uvm.Machine.Cpu(p.Cpu);
}
