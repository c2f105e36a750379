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
}

/// <summary>
/// One request from a coroutine frame: a small struct, so yielding allocates nothing. Frames are
/// <see cref="IEnumerator{Op}"/> iterators; a thread is a stack of them.
/// </summary>
public readonly record struct Op(OpKind Kind, long Value = 0, object? Target = null, IEnumerator<Op>? Frame = null)
{
    public static Op Work(long cycles) => new(OpKind.Work, cycles);
    public static Op Call(IEnumerator<Op> frame) => new(OpKind.Call, Frame: frame);
    public static Op Return(long value) => new(OpKind.Return, value);
    public static Op Sleep(object channel) => new(OpKind.Sleep, Target: channel);
    public static Op Sleep(object channel, long timeoutCycles) => new(OpKind.SleepTimeout, timeoutCycles, channel);
    public static Op Wakeup(object channel) => new(OpKind.Wakeup, Target: channel);
    public static Op Yield => new(OpKind.Yield);
    public static Op Lock(MpLock l) => new(OpKind.Lock, Target: l);
    public static Op Unlock(MpLock l) => new(OpKind.Unlock, Target: l);
    public static Op ReleaseAll(MpLock l) => new(OpKind.ReleaseAll, Target: l);
    public static Op Exit(long status) => new(OpKind.Exit, status);
}
