namespace MiniBSD.Kernel.Kern;

/// <summary>Where a thread is in its life (OpenBSD p_stat: SRUN, SONPROC, SSLEEP, SDEAD).</summary>
public enum ProcState : byte
{
    Runnable,
    OnProc,
    Spinning,
    Sleeping,
    Dead,
}

/// <summary>
/// struct proc (OpenBSD sys/proc.h): a thread. Its execution state is a stack of coroutine frames (user frames,
/// then kernel frames during a system call); the scheduler steps the top one. Locks: [s] the scheduler.
/// </summary>
public sealed class Proc
{
    private readonly List<IEnumerator<Op>> _frames = [];

    public Proc(int id, string name, IEnumerator<Op> entry)
        : this(id, name, [entry])
    {
    }

    /// <summary>A thread whose stack is <paramref name="frames"/>, bottom first (fork's copy of its parent's).</summary>
    internal Proc(int id, string name, IEnumerable<IEnumerator<Op>> frames)
    {
        Id = id;
        Name = name;
        _frames.AddRange(frames);
    }

    /// <summary>The frame stack, bottom first.</summary>
    internal IReadOnlyList<IEnumerator<Op>> Frames => _frames;

    /// <summary>Pushes frames, bottom first (fork fills a new thread's stack once the copies can refer to it).</summary>
    internal void PushAll(IEnumerable<IEnumerator<Op>> frames) => _frames.AddRange(frames);

    /// <summary>p_p: the process this thread belongs to; null for a kernel thread such as the reaper.</summary>
    public Process? Process { get; internal set; }

    /// <summary>p_tid.</summary>
    public int Id { get; }
    public string Name { get; }

    /// <summary>[s] p_stat.</summary>
    public ProcState State { get; internal set; } = ProcState.Runnable;

    /// <summary>[s] The pending timeout of a sleep with one: when, and its order among timeouts of that time.</summary>
    internal (long At, long Seq)? Timeout { get; set; }

    /// <summary>[s] p_wchan: the channel a sleeping thread waits on.</summary>
    public object? WaitChannel { get; internal set; }

    /// <summary>[s] p_cpu: the CPU it last ran on, or is queued for.</summary>
    public int Cpu { get; internal set; }

    /// <summary>[s] The simulated time before which it cannot run (when it was woken or made runnable).</summary>
    public long RunnableAt { get; internal set; }

    /// <summary>What the last finished frame returned (by <see cref="Op.Return"/>).</summary>
    public long Retval { get; internal set; }

    /// <summary>The exit status, once <see cref="State"/> is Dead.</summary>
    public long ExitStatus { get; internal set; }

    /// <summary>Cycles spent running, waiting for locks, and switches in.</summary>
    public long RunCycles { get; internal set; }
    public long LockWaitCycles { get; internal set; }
    public int Switches { get; internal set; }

    /// <summary>Spin locks held now (the thread is not preempted while it holds any).</summary>
    public int LocksHeld { get; internal set; }

    public int Depth => _frames.Count;
    internal IEnumerator<Op> Top => _frames[^1];
    internal void Push(IEnumerator<Op> frame) => _frames.Add(frame);

    /// <summary>Drops the top frame; true while frames remain.</summary>
    internal bool Pop()
    {
        _frames[^1].Dispose();
        _frames.RemoveAt(_frames.Count - 1);
        return _frames.Count > 0;
    }

    public override string ToString() => $"{Name}#{Id} {State}";
}
