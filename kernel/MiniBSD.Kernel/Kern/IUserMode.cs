using MiniBSD.Hal;

namespace MiniBSD.Kernel.Kern;

/// <summary>
/// Running user code, as the scheduler calls it at the user/kernel boundary (OpenBSD trap.c, syscall.c and userret):
/// the system-call entry, the return to user mode, the AST check before user code runs again, the timer interrupt,
/// and user memory access with its faults. <see cref="UserMode"/> implements it with the machine's half.
/// </summary>
internal interface IUserMode
{
    /// <summary>The system-call instruction is taken (svc_handler / Xsyscall); returns the kernel frame that does the call.</summary>
    IEnumerator<Op> Svc(Cpu cpu, Proc p, in Op op, out bool locked);

    /// <summary>The system call's frame returned <paramref name="value"/> (-errno on error): the result, the carry flag, the return.</summary>
    void SyscallReturn(Cpu cpu, Proc p, long value);

    /// <summary>userret/ast before user code runs: a frame to run first (a pending signal's action), or null.</summary>
    IEnumerator<Op>? Ast(Cpu cpu, Proc p);

    /// <summary>A user frame yielded something only the kernel may ask for: the frame that signals the process.</summary>
    IEnumerator<Op> IllegalOp(Cpu cpu, Proc p, in Op op);

    /// <summary>The program's code threw: the frame that kills the process with SIGABRT.</summary>
    IEnumerator<Op> Crashed(Cpu cpu, Proc p, Exception exception);

    /// <summary>The bottom user frame ended without calling exit (a program must exit through crt0): as illegal.</summary>
    IEnumerator<Op> FellOff(Cpu cpu, Proc p, long value);

    /// <summary>Entering user mode on this CPU (the thread was switched in, or a trap returns).</summary>
    void EnterUser(Cpu cpu, Proc p);

    /// <summary>The timer interrupt taken in user mode, before the thread is preempted.</summary>
    void Interrupt(Cpu cpu, Proc p);

    /// <summary>need_resched's cpu_kick: an IPI taken in user mode, so the thread can be preempted.</summary>
    void Kick(Cpu cpu, Proc p);

    /// <summary>Programs the CPU's timer for the end of the slice (at switch in of a user thread).</summary>
    void ArmTimer(Cpu cpu, long deadline);

    bool Load(Proc p, ulong va, Span<byte> destination);
    bool Store(Proc p, ulong va, ReadOnlySpan<byte> source);
}
