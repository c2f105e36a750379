namespace MiniBSD.Kernel.Kern;

/// <summary>The steps of a process's end that <see cref="ExitStats"/> records, by OpenBSD's function names.</summary>
public enum ExitStep : byte
{
    /// <summary>exit1 entered (sys_exit or a fatal signal).</summary>
    Exit1,
    /// <summary>fdfree: the descriptors are closed.</summary>
    Fdfree,
    /// <summary>__mp_release_all(&amp;kernel_lock) before the teardown (detail: the holds released).</summary>
    ReleaseKernelLock,
    /// <summary>
    /// uvm_purge in exit1, or the exit path's variant of it (detail: frames freed). The machine's instruction trace
    /// shows its inside: pmap_purge's TTBR0 write and TLBI ASIDE1IS, or one TLBI VAE1IS a page.
    /// </summary>
    UvmPurge,
    /// <summary>KERNEL_LOCK taken again.</summary>
    KernelLock,
    /// <summary>Off allprocess, onto zombprocess (or freepid for PS_NOZOMBIE).</summary>
    Zombprocess,
    /// <summary>pmap_deactivate at cpu_exit (detail: 1 if it had work to do, 0 as a no-op after pmap_purge).</summary>
    PmapDeactivate,
    /// <summary>sched_exit: the thread leaves its CPU for good.</summary>
    SchedExit,
    /// <summary>exit2 put the thread on deadproc (detail: the list's length after).</summary>
    Exit2,
    /// <summary>The reaper took the thread off deadproc (detail: the list's length after).</summary>
    Reaper,
    /// <summary>uvm_exit in the reaper: uvmspace_free, pmap_destroy (detail: frames freed by it).</summary>
    UvmExit,
    /// <summary>PS_ZOMBIE set, SIGCHLD posted, the parent woken.</summary>
    Zombie,
    /// <summary>process_zap of a PS_NOZOMBIE process by the reaper.</summary>
    ProcessZap,
    /// <summary>The parent's wait4 returns with the zombie dowait6 collected (proc_finish_wait), its status copied out.</summary>
    Dowait6,
}

/// <summary>One step of one process's end, at a simulated time on a CPU.</summary>
public readonly record struct ExitEvent(long Time, int Cpu, int Pid, ExitStep Step, long Detail = 0)
{
    public override string ToString() => $"{Time,12} cpu{Cpu} pid {Pid}: {Step}{(Detail != 0 ? $" ({Detail})" : "")}";
}

/// <summary>
/// The milestones of one process's end (simulated cycles): exit1 entered on <see cref="Cpu"/> at <see cref="Start"/>,
/// the thread off its CPU and on deadproc (exit2), taken off deadproc by the reaper, made a zombie with its parent
/// woken; and what the teardown cost in exit1 and in the reaper.
/// </summary>
internal readonly record struct ExitTimes(int Cpu, long Start, long Exit1Cycles = 0, long ReaperCycles = 0, long OnDeadproc = 0, long OffDeadproc = 0, long Zombie = 0);

/// <summary>
/// One collected process's end: where it exited, what its teardown cost where, and its exit latency (cycles) in four
/// parts that add up to it exactly: exit1 (entry to sched_exit's exit2), on deadproc (until the reaper takes it), the
/// reaper's service (uvm_exit, the kernel lock, the zombie step), and the wakeup (until the parent's wait4 returns).
/// Times come from the clocks of the CPUs involved.
/// </summary>
public readonly record struct ProcessExit(int Pid, string Command, int Cpu, long Exit1At, long Exit1TeardownCycles, long ReaperTeardownCycles, long Latency,
    long InExit1 = 0, long OnDeadproc = 0, long InReaper = 0, long ToWait4 = 0);

/// <summary>
/// What the exit path costs, gathered as it runs (issue #5): exit latency (exit1 entry to the parent's wait4
/// returning the zombie's status), teardown time on the exiting CPU and in the reaper, the reaper's busy time, the deadproc
/// list's length over time, frames freed where. With <see cref="Record"/> on, every step is kept as an
/// <see cref="ExitEvent"/>, so tests can assert the order of operations of each <see cref="ExitPath"/>.
/// </summary>
public sealed class ExitStats
{
    private readonly List<ExitEvent> _events = [];
    private readonly List<long> _latencies = [];
    private readonly List<ProcessExit> _processes = [];
    private readonly List<(long Time, int Length)> _deadList = [(0, 0)];
    private long _deadArea;   // ∫ length dt, for the time-weighted mean

    /// <summary>Keep every step (tests, --trace); the aggregates below are kept either way.</summary>
    public bool Record { get; set; }

    public IReadOnlyList<ExitEvent> Events => _events;

    /// <summary>Cycles from exit1's entry to the parent's wait4 returning the zombie's status, one a collected process.</summary>
    public IReadOnlyList<long> Latencies => _latencies;

    /// <summary>Each collected process, in the order collected; the first <see cref="MaxProcesses"/> only.</summary>
    public IReadOnlyList<ProcessExit> Processes => _processes;

    /// <summary>How many <see cref="Processes"/> are kept (a long benchmark collects millions).</summary>
    public const int MaxProcesses = 10_000;

    public long Exits { get; private set; }

    /// <summary>Cycles the exiting CPUs spent tearing address spaces down in exit1 (uvm_purge or its variants).</summary>
    public long Exit1TeardownCycles { get; private set; }

    /// <summary>Cycles the reaper spent in uvm_exit (the whole uvm_map_teardown on the legacy path).</summary>
    public long ReaperTeardownCycles { get; private set; }

    /// <summary>Cycles the reaper spent on dead threads, from taking one off deadproc to finishing with it.</summary>
    public long ReaperBusyCycles { get; private set; }

    /// <summary>Of <see cref="ReaperBusyCycles"/>: taking KERNEL_LOCK (spinning for it included).</summary>
    public long ReaperLockCycles { get; private set; }

    /// <summary>Of <see cref="ReaperBusyCycles"/>: the zombie step under the lock (PS_ZOMBIE, SIGCHLD, the wakeup, or process_zap) and the unlock.</summary>
    public long ReaperZombieCycles { get; private set; }

    public long FramesFreedInExit1 { get; private set; }
    public long FramesFreedByReaper { get; private set; }

    /// <summary>
    /// deadproc's length at each change, from time 0 (length 0), for plotting: past <see cref="DeadListPoints"/> points
    /// every other one is dropped (the maximum and the mean are kept exactly, apart from the series).
    /// </summary>
    public IReadOnlyList<(long Time, int Length)> DeadList => _deadList;

    /// <summary>The most points <see cref="DeadList"/> keeps.</summary>
    public const int DeadListPoints = 16_384;

    public int MaxDeadList { get; private set; }

    /// <summary>deadproc's mean length over [0, <paramref name="end"/>), weighted by time.</summary>
    public double MeanDeadList(long end)
    {
        var (last, length) = _deadList[^1];
        long area = _deadArea + (end > last ? (end - last) * length : 0);
        return end <= 0 ? 0 : (double)area / end;
    }

    internal void Step(long time, int cpu, int pid, ExitStep step, long detail = 0)
    {
        if (step == ExitStep.Exit1) Exits++;
        if (Record) _events.Add(new ExitEvent(time, cpu, pid, step, detail));
    }

    internal void Exit1Teardown(long cycles, long frames) => (Exit1TeardownCycles, FramesFreedInExit1) = (Exit1TeardownCycles + cycles, FramesFreedInExit1 + frames);

    internal void ReaperTeardown(long cycles, long frames) => (ReaperTeardownCycles, FramesFreedByReaper) = (ReaperTeardownCycles + cycles, FramesFreedByReaper + frames);

    internal void ReaperBusy(long cycles) => ReaperBusyCycles += cycles;

    /// <summary>
    /// The time exiting threads spent in exit1 after its tuagg_add_process (fdfree, uvm_purge, the rest): in ps_tu, never
    /// in the ps_ru their parents' wait4 returns, so in no time(1).
    /// </summary>
    public TUsage UnseenByParents => _unseen;
    private TUsage _unseen;

    internal void UnseenByParent(in TUsage tu) => _unseen.Add(tu);

    internal void ReaperLock(long cycles) => ReaperLockCycles += cycles;

    internal void ReaperZombieStep(long cycles) => ReaperZombieCycles += cycles;

    /// <summary>The exit latencies' four parts, summed over every collected process (cycles; see <see cref="ProcessExit"/>).</summary>
    public (long InExit1, long OnDeadproc, long InReaper, long ToWait4) LatencyParts { get; private set; }

    internal void Collected(ProcessExit exit)
    {
        _latencies.Add(exit.Latency);
        var t = LatencyParts;
        LatencyParts = (t.InExit1 + exit.InExit1, t.OnDeadproc + exit.OnDeadproc, t.InReaper + exit.InReaper, t.ToWait4 + exit.ToWait4);
        if (_processes.Count < MaxProcesses) _processes.Add(exit);
    }

    /// <summary>deadproc changed length at <paramref name="time"/> (times from different CPUs may step back a little).</summary>
    internal void DeadListLength(long time, int length)
    {
        var (last, previous) = _deadList[^1];
        if (time > last) _deadArea += (time - last) * previous;
        _deadList.Add((Math.Max(time, last), length));
        MaxDeadList = Math.Max(MaxDeadList, length);
        if (_deadList.Count < DeadListPoints) return;
        int kept = 0;
        for (int i = 0; i < _deadList.Count; i += 2) _deadList[kept++] = _deadList[i];
        if (_deadList[kept - 1] != _deadList[^1]) _deadList[kept++] = _deadList[^1];   // the latest length stays
        _deadList.RemoveRange(kept, _deadList.Count - kept);
    }
}
