using MiniBSD.Kernel.Abi;

namespace MiniBSD.Kernel.Kern;

/// <summary>
/// The scheduler at the user/kernel boundary: user frames run at EL0 and may compute (Work), call subroutine frames,
/// return, and make system calls; anything else is an illegal instruction. Before user code runs, pending signals act
/// (userret) and an expired time slice is a timer interrupt that preempts the thread (OpenBSD preempts only there:
/// the kernel itself is not preemptible).
/// </summary>
public sealed partial class Sched
{
    /// <summary>userret and the timer: true when the thread does not run user code now (a signal's action, or preempted).</summary>
    private bool BeforeUserCode(PerCpu c, Proc p)
    {
        var um = p.UserMode!;
        var cpu = c.Cpu;
        if (um.Ast(cpu, p) is { } action)
        {
            p.Push(action);
            return true;
        }
        if (ShouldPreempt(c))
        {
            um.Kick(cpu, p);
            Trace(cpu, p, OpKind.Yield);
            Requeue(c, p);                           // need_resched from a wakeup: preempt() in userret
            return true;
        }
        if (!cpu.TimerInterruptPending) return false;
        um.Interrupt(cpu, p);                        // the IRQ is taken to EL1
        c.SliceEnd = cpu.Clock + Params.QuantumCycles;
        if (c.Runnable > 0)
        {
            Trace(cpu, p, OpKind.Yield);
            Requeue(c, p);                           // roundrobin's need_resched, acted on at userret: preempt()
            return true;
        }
        ResumeUser(c, p);                            // nobody else wants the CPU: a new slice, back to EL0
        return false;
    }

    /// <summary>A slice starts for a process's thread: the timer armed for its end, then ERET to EL0 if it is in user mode.</summary>
    private void ResumeUser(PerCpu c, Proc p)
    {
        p.UserMode!.ArmTimer(c.Cpu, c.SliceEnd);
        if (p.InUser) p.UserMode.EnterUser(c.Cpu, p);
    }

    /// <summary>
    /// Runs the user frame to its next request. A program that throws (a bug in its C#) is what a program that
    /// executes garbage is to a real kernel: the process gets a signal (SIGABRT here, as abort(3) would raise), never
    /// the kernel a panic. Only the program's own code can throw here: the kernel's code under the program's loads
    /// and stores (the MMU, data_abort, uvm_fault) turns anything it throws into a panic (Syscall.Load), which passes
    /// through. False when the frame threw and the signal's action was pushed instead.
    /// </summary>
    private bool TryStepUserFrame(PerCpu c, Proc p, out Op op)
    {
        try
        {
            Stepping = p;
            op = p.Top.MoveNext() ? p.Top.Current : Op.Return(p.Retval);
            return true;
        }
        catch (Exception e) when (e is not KernelPanicException)
        {
            op = default;
            p.Push(p.UserMode!.Crashed(c.Cpu, p, e));
            return false;
        }
        finally
        {
            Stepping = null;
        }
    }

    /// <summary>What a user frame asked for.</summary>
    private void StepUser(PerCpu c, Proc p, in Op op)
    {
        var cpu = c.Cpu;
        var um = p.UserMode!;
        if (um.Ast(cpu, p) is { } action)
        {
            p.Push(action);   // a fault (or a signal) during the step: what the program yielded after it never happens
            return;
        }
        switch (op.Kind)
        {
            case OpKind.Work when op.Value >= 0:
                UserWork(cpu, p, op.Value);
                return;
            case OpKind.Call when op.Frame is not null:
                UserTime(cpu, p, Params.UserCallCycles);
                p.Push(op.Frame);
                p.UserFrames++;
                return;
            case OpKind.Return:
                UserTime(cpu, p, Params.UserCallCycles);
                p.Retval = op.Value;
                if (p.UserFrames == 1)
                {
                    p.Push(um.FellOff(cpu, p, op.Value));   // the first frame ended: the process exits
                    return;
                }
                p.Pop();
                p.UserFrames--;
                return;
            case OpKind.Syscall:
                p.Push(um.Svc(cpu, p, op, out bool locked));
                if (locked) (c.Pending, c.HasPending) = (Op.Lock(BigLock!), true);   // mi_syscall's KERNEL_LOCK()
                return;
            default:   // a kernel request, negative work, a call of no frame: not something EL0 can do
                p.Push(um.IllegalOp(cpu, p, op));
                return;
        }
    }

    /// <summary>
    /// User computation runs until it is done or the timer fires, whichever comes first: the interrupt is taken at
    /// that instruction boundary (BeforeUserCode) and the rest runs when the thread is next in user mode, so a long
    /// computation is sliced by hardclock's round robin as on a real CPU.
    /// </summary>
    private static void UserWork(Hal.Cpu cpu, Proc p, long cycles)
    {
        long room = cpu.TimerDeadline is { } deadline ? deadline - cpu.Clock : long.MaxValue;
        long now = room > 0 && cycles > room ? room : cycles;
        p.UserWorkLeft = cycles - now;
        UserTime(cpu, p, now);
    }

    private static void UserTime(Hal.Cpu cpu, Proc p, long cycles)
    {
        cpu.AdvanceClock(cycles);
        p.RunCycles += cycles;
    }

    /// <summary>
    /// psignal's wakeup of a thread in a PCATCH sleep: it leaves the sleep queue, its system call is abandoned (the
    /// kernel frames are unwound) and returns EINTR, and it runs from <paramref name="at"/>; the signal then acts in
    /// userret. A thread in any other state is left alone (it sees the signal at its next return to user mode).
    /// </summary>
    public void InterruptSleep(Proc p, long at)
    {
        if (p.State != ProcState.Sleeping || !p.SleepCatches || p.UserFrames == 0) return;
        Unsleep(p);
        p.UnwindKernelFrames();
        p.BigLockHolds = 0;   // the abandoned call's KERNEL_UNLOCK: the holds its sleep gave up are not taken back
        (p.Retval, p.Carry, p.Syscall) = ((long)Errno.EINTR, true, 0);
        Setrunnable(p, at, fromSleep: true);
    }
}
