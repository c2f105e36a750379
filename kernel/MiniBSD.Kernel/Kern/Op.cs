namespace MiniBSD.Kernel.Kern;

/// <summary>What a coroutine frame asks of the kernel when it yields.</summary>
public enum OpKind : byte
{
    /// <summary>Spend this many cycles computing on the current CPU.</summary>
    Work,
    /// <summary>Run another frame (a subroutine that can block); it returns with <see cref="Return"/> or by finishing.</summary>
    Call,
    /// <summary>Leave the current frame with a value for the caller (<see cref="Proc.Retval"/>).</summary>
    Return,
    /// <summary>tsleep: wait on a channel until someone calls wakeup on it.</summary>
    Sleep,
    /// <summary>
    /// tsleep with a timeout of <see cref="Op.Value"/> cycles: <see cref="Proc.Retval"/> is 0 after a wakeup, EWOULDBLOCK
    /// (EAGAIN, 35) once the time has passed.
    /// </summary>
    SleepTimeout,
    /// <summary>wakeup: make every thread sleeping on the channel runnable.</summary>
    Wakeup,
    /// <summary>sched_yield: let other runnable threads on this CPU go first.</summary>
    Yield,
    /// <summary>Take a lock, spinning (in simulated time) while another thread holds it.</summary>
    Lock,
    /// <summary>Release one hold of a lock.</summary>
    Unlock,
    /// <summary>__mp_release_all: release every recursive hold of a lock; <see cref="Proc.Retval"/> gets how many.</summary>
    ReleaseAll,
    /// <summary>The thread ends.</summary>
    Exit,
    /// <summary>
    /// SVC from a user frame: system call <see cref="Op.Value"/> (x8) with <see cref="Op.Args"/> (x0-x5). The result
    /// comes back in x0, with PSTATE.C set on an error (<see cref="Abi.IUserContext"/>).
    /// </summary>
    Syscall,
}

/// <summary>
/// One request from a coroutine frame: a small struct, so yielding allocates nothing. Frames are
/// <see cref="IEnumerator{Op}"/> iterators; a thread is a stack of them.
/// </summary>
public readonly struct Op
{
    // One reference field for both Target and Frame (a Call's): an Op is copied at every yield, and each reference in
    // it is a GC write barrier when it lands in an iterator on the heap.
    private readonly object? _ref;

    public Op(OpKind Kind, long Value = 0, object? Target = null, IEnumerator<Op>? Frame = null, Abi.SyscallArgs Args = default, bool Catch = false)
    {
        Systm.Kassert(Frame is null || (Target is null && Kind == OpKind.Call), "Op: a frame goes with Call alone");
        this.Kind = Kind;
        this.Value = Value;
        _ref = Frame ?? Target;
        this.Args = Args;
        this.Catch = Catch;
    }

    public OpKind Kind { get; }
    public long Value { get; }

    /// <summary>A sleep's or wakeup's channel, a lock.</summary>
    public object? Target => Kind == OpKind.Call ? null : _ref;

    /// <summary>The frame a <see cref="OpKind.Call"/> runs.</summary>
    public IEnumerator<Op>? Frame => Kind == OpKind.Call ? System.Runtime.CompilerServices.Unsafe.As<IEnumerator<Op>>(_ref) : null;

    public Abi.SyscallArgs Args { get; }

    /// <summary>PCATCH on a sleep: a signal ends it early, and the system call it is part of fails with EINTR.</summary>
    public bool Catch { get; }

    public override string ToString() => $"{Kind} {Value}{(_ref is null ? "" : $" {_ref}")}";

    public static Op Work(long cycles) => new(OpKind.Work, cycles);
    public static Op Call(IEnumerator<Op> frame) => new(OpKind.Call, Frame: frame);
    public static Op Return(long value) => new(OpKind.Return, value);
    public static Op Sleep(object channel) => new(OpKind.Sleep, Target: channel);
    public static Op Sleep(object channel, long timeoutCycles) => new(OpKind.SleepTimeout, timeoutCycles, channel);
    /// <summary>tsleep with PCATCH: a signal posted to the process interrupts it (the system call returns EINTR).</summary>
    public static Op SleepCatch(object channel) => new(OpKind.Sleep, Target: channel, Catch: true);
    public static Op SleepCatch(object channel, long timeoutCycles) => new(OpKind.SleepTimeout, timeoutCycles, channel, Catch: true);
    public static Op Wakeup(object channel) => new(OpKind.Wakeup, Target: channel);
    public static Op Yield => new(OpKind.Yield);
    public static Op Lock(MpLock l) => new(OpKind.Lock, Target: l);
    public static Op Unlock(MpLock l) => new(OpKind.Unlock, Target: l);
    public static Op ReleaseAll(MpLock l) => new(OpKind.ReleaseAll, Target: l);
    public static Op Exit(long status) => new(OpKind.Exit, status);

    /// <summary>A frame that returns <paramref name="value"/> at once (a system call with nothing to wait for).</summary>
    public static IEnumerator<Op> Returning(long value)
    {
        yield return Return(value);
    }

    /// <summary>svc #0 with x8 = <paramref name="code"/> and x0-x5 = the arguments (user frames only).</summary>
    public static Op Syscall(Abi.SysCall code, long a0 = 0, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0) =>
        new(OpKind.Syscall, (long)code, Args: new(a0, a1, a2, a3, a4, a5));
}
