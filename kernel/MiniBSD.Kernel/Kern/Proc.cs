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
public sealed class Proc : Abi.IUserContext
{
    private readonly List<IEnumerator<Op>> _frames = new(8);   // deep enough for a system call: grown at most rarely

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

    /// <summary>Cycles spent running (user mode, the kernel, switches in; not spinning), and spinning for locks.</summary>
    public long RunCycles { get; internal set; }

    /// <summary>User computation a timer interrupt cut short: it goes on when the thread next runs in user mode.</summary>
    internal long UserWorkLeft { get; set; }
    public long LockWaitCycles { get; internal set; }

    /// <summary>p_tu: its time as statclock samples it, and exactly (see <see cref="TUsage"/>).</summary>
    internal TUsage Tu;
    public TUsage Usage => Tu;
    public int Switches { get; internal set; }

    /// <summary>Spin locks held now (the thread is not preempted while it holds any).</summary>
    public int LocksHeld { get; internal set; }

    /// <summary>The big lock's hold count mi_switch released when this thread slept; taken back when it runs (0: none).</summary>
    internal int BigLockHolds { get; set; }

    /// <summary>
    /// How many frames at the bottom of the stack are user code (the program's frames); the rest, above them, are the
    /// kernel's, pushed by a system call or a trap. The thread is in user mode when every frame is a user frame.
    /// </summary>
    public int UserFrames { get; internal set; }

    /// <summary>The thread runs user code now: it has user frames and nothing of the kernel's above them.</summary>
    public bool InUser => UserFrames > 0 && UserFrames == _frames.Count;

    /// <summary>The program object of the image it runs (execve makes it; fork copies it with the frames).</summary>
    public Abi.IProgram? Program { get; internal set; }

    /// <summary>The kernel's user-mode support (system calls, user memory access, traps); set by execve.</summary>
    internal IUserMode? UserMode { get; set; }

    /// <summary>execve made a new image: the first return to user mode fetches its entry instruction.</summary>
    internal bool FetchEntry { get; set; }

    /// <summary>[s] It sleeps with PCATCH: a signal may end the sleep.</summary>
    internal bool SleepCatches { get; set; }

    /// <summary>The system call it is in, or 0.</summary>
    public Abi.SysCall Syscall { get; internal set; }

    /// <summary>PSTATE.C as the last system call left it (set on error).</summary>
    public bool Carry { get; internal set; }

    long Abi.IUserContext.X0 => Retval;

    bool Abi.IUserContext.Load(ulong va, Span<byte> destination) => UserMode!.Load(this, va, destination);

    bool Abi.IUserContext.Store(ulong va, ReadOnlySpan<byte> source) => UserMode!.Store(this, va, source);

    /// <summary>execve: the user frames are replaced by the new image's first frame; kernel frames above stay.</summary>
    internal void ReplaceUserFrames(IEnumerator<Op> entry)
    {
        for (int i = 0; i < UserFrames; i++) _frames[i].Dispose();
        _frames.RemoveRange(0, UserFrames);
        _frames.Insert(0, entry);
        UserFrames = 1;
    }

    /// <summary>Drops the kernel frames above the user frames (a system call interrupted by a signal unwinds).</summary>
    internal void UnwindKernelFrames()
    {
        while (_frames.Count > UserFrames) Pop();
    }

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
