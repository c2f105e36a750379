using System.Buffers.Binary;
using MiniBSD.Hal;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Uvm;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Kern;

/// <summary>
/// The machine-independent half of the user/kernel boundary: mi_syscall (the sysent lookup, the result and its
/// errno), userret's signal check, what a program that misbehaves gets, and the program's loads and stores with their
/// faults. The hardware's half (how a system call traps, how the kernel returns to user mode, the interrupts, the
/// fault's decode) is the machine's: arm64's and amd64's Syscall classes, after their syscall.c and trap.c.
/// </summary>
internal abstract class UserMode(Machine machine, Uvm.Uvm uvm, Sysent sysent, KernExit exit, long dispatchCycles) : IUserMode
{
    /// <summary>The address a new image starts at: MiniBSD does not emulate instructions, so a user PC is the text's start.</summary>
    protected const ulong UserPc = VmLayout.UserMin;

    protected Machine Machine => machine;
    protected Uvm.Uvm Uvm => uvm;
    protected KernExit Exit => exit;

    /// <summary>How the kernel reaches user memory here (copy.S), and the fault decode of trap.c.</summary>
    protected abstract IUserAccess Access { get; }

    /// <summary>The system-call instruction at user level (SVC #0 / SYSCALL): to the kernel.</summary>
    protected abstract void TrapSyscall(Cpu cpu);

    /// <summary>Back to user mode at <paramref name="pc"/> (ERET / SYSRETQ or IRETQ).</summary>
    protected abstract void ReturnToUser(Cpu cpu, ulong pc);

    /// <summary>An interrupt taken while the CPU runs user code: to the kernel (IRQ to EL1 / an IDT vector).</summary>
    protected abstract void InterruptFromUser(Cpu cpu, bool timer);

    /// <summary>A kernel-only instruction at user level: executes it there; true when the CPU took the undefined-instruction trap.</summary>
    protected abstract bool PrivilegedInstruction(Cpu cpu);

    /// <summary>A user access or instruction fetch took an abort to EL1: what the exception vector does first (arm64's ASID pair).</summary>
    protected virtual void AbortTaken(Cpu cpu) { }

    /// <summary>The timer interrupt's handler: the timer off until the next slice is armed.</summary>
    protected abstract void DisarmTimer(Cpu cpu);

    public abstract void ArmTimer(Cpu cpu, long deadline);

    /// <summary>System calls taken.</summary>
    public long Calls { get; private set; }

    /// <summary>System calls that returned each errno (index: the errno; 0: those that succeeded).</summary>
    public long[] Results { get; } = new long[128];

    public IEnumerator<Op> Svc(Cpu cpu, Proc p, in Op op, out bool locked)
    {
        Kassert(cpu.El == 0, "syscall: {0} is not in user mode", p);
        ToKernel(cpu, p);
        TrapSyscall(cpu);
        cpu.AdvanceClock(dispatchCycles);               // save the trapframe, look the number up, copy the arguments
        Calls++;
        p.Syscall = (SysCall)op.Value;
        locked = sysent.Locked(op.Value);   // mi_syscall: KERNEL_LOCK() unless SY_NOLOCK (the scheduler takes it)
        if (sysent.Lookup(op.Value) is { } handler) return handler(p, op.Args);
        return SysNosys(p);
    }

    /// <summary>sys_nosys: SIGSYS, and ENOSYS should the signal be ignored.</summary>
    private IEnumerator<Op> SysNosys(Proc p)
    {
        KernSigPost.Ptsignal(exit.Sched, p.Process!, Signal.SIGSYS, machine.Cpu(p.Cpu).Clock);
        yield return Op.Return(-(long)Errno.ENOSYS);
    }

    public void SyscallReturn(Cpu cpu, Proc p, long value)
    {
        // syscall.c (both): success clears the carry flag (PSR_C / PSL_C) and returns the value in x0 / rax; an error
        // sets it and returns the errno.
        (p.Retval, p.Carry) = value < 0 ? (-value, true) : (value, false);
        Results[value < 0 && -value < Results.Length ? -value : 0]++;
        p.Syscall = 0;
        if (!Deliverable(p.Process!)) EnterUser(cpu, p);   // else userret delivers the signal before the return
    }

    public IEnumerator<Op>? Ast(Cpu cpu, Proc p)
    {
        var pr = p.Process!;
        if (!Deliverable(pr)) return null;
        if (cpu.El == 0) FromUser(cpu, p);   // posted while it ran in user mode: the AST's interrupt
        for (var signal = pr.SigActs.Cursig(pr.SigList); signal != Signal.None; signal = pr.SigActs.Cursig(pr.SigList))
        {
            pr.SigList &= ~SigSet.Mask(signal);            // postsig
            if (pr.SigActs.Disposition(signal) is SigDisposition.Terminate or SigDisposition.Core)
                return exit.Exit1(p, 0, (int)signal);      // sigexit; no core file (MiniBSD has no file system)
        }
        EnterUser(cpu, p);   // ignored, or a stop/continue (no job control in MiniBSD)
        return null;
    }

    /// <summary>A pending signal that is not blocked.</summary>
    private static bool Deliverable(Process pr) => (pr.SigList & ~pr.SigActs.Blocked) != 0;

    public IEnumerator<Op> IllegalOp(Cpu cpu, Proc p, in Op op)
    {
        // A kernel request from user code is a privileged instruction: trap.c answers the trap with SIGILL.
        ToKernel(cpu, p);
        Kassert(PrivilegedInstruction(cpu) && cpu.El == 1, "privileged instruction at user level not trapped: {0}", cpu);
        KernSigPost.Trapsignal(p.Process!, Signal.SIGILL);
        return Op.Returning(0);
    }

    public IEnumerator<Op> Crashed(Cpu cpu, Proc p, Exception exception)
    {
        var pr = p.Process!;
        if (cpu.El == 0) FromUser(cpu, p);   // the kernel regains the CPU
        exit.Dmesg?.Printf(cpu, $"pid {pr.Pid} ({pr.Command}): the program threw {exception.GetType().Name}: {exception.Message}");
        KernSigPost.Trapsignal(pr, Signal.SIGABRT);
        return Op.Returning(0);   // userret delivers it
    }

    public IEnumerator<Op> FellOff(Cpu cpu, Proc p, long value)
    {
        ToKernel(cpu, p);
        TrapSyscall(cpu);                                // crt0's system call for exit(main's value)
        return exit.Exit1(p, (int)(value & 0xff), 0);
    }

    public void EnterUser(Cpu cpu, Proc p)
    {
        if (cpu.El == 0) return;
        ReturnToUser(cpu, UserPc);
        exit.Sched.StatClock.Transition(cpu, CpState.User, p);
        if (!p.FetchEntry) return;
        // A new image's first instruction fetch: an instruction abort (a #PF with I/D) that uvm_fault resolves by
        // mapping the shared text page (the object layer), as every process running the program does.
        p.FetchEntry = false;
        if (cpu.TryFetch(UserPc)) return;
        AbortTaken(cpu);
        ToKernel(cpu, p);
        var outcome = Access.Fault(cpu, uvm, p.Process!.Vmspace!.Map);
        if (!outcome.Resolved) Trapsignal(cpu, p.Process, outcome);
        ReturnToUser(cpu, UserPc);
    }

    public void Interrupt(Cpu cpu, Proc p)
    {
        ToKernel(cpu, p);
        InterruptFromUser(cpu, timer: true);
        DisarmTimer(cpu);
    }

    public void Kick(Cpu cpu, Proc p) => FromUser(cpu, p);   // the IPI in user mode; the timer keeps its deadline

    /// <summary>An interrupt (an AST, the resched IPI) takes the CPU from user mode to the kernel.</summary>
    private void FromUser(Cpu cpu, Proc p)
    {
        ToKernel(cpu, p);
        InterruptFromUser(cpu, timer: false);
    }

    /// <summary>The thread's time is system time from here (the trap paths' accounting; <see cref="EnterUser"/> ends it).</summary>
    private void ToKernel(Cpu cpu, Proc p) => exit.Sched.StatClock.Transition(cpu, CpState.Sys, p);

    /// <summary>
    /// A user-mode load. The access runs the MMU and, on a fault, the kernel's trap path: an exception thrown in there is
    /// a bug of the HAL or the kernel, never the program's, so it is a panic (not the SIGABRT a program that throws gets).
    /// </summary>
    public bool Load(Proc p, ulong va, Span<byte> destination)
    {
        try
        {
            for (int i = 0; i < destination.Length;)
            {
                int size = Size(va + (ulong)i, destination.Length - i);
                if (!Access1(p, va + (ulong)i, size, write: false, 0, out ulong v)) return false;
                if (size == 8) BinaryPrimitives.WriteUInt64LittleEndian(destination[i..], v);
                else destination[i] = (byte)v;
                i += size;
            }
            return true;
        }
        catch (Exception e) when (e is not KernelPanicException)
        {
            throw AccessPanic(p, va, "load", e);
        }
    }

    /// <summary>A user-mode store; an exception below it is a panic, as for <see cref="Load"/>.</summary>
    public bool Store(Proc p, ulong va, ReadOnlySpan<byte> source)
    {
        try
        {
            for (int i = 0; i < source.Length;)
            {
                int size = Size(va + (ulong)i, source.Length - i);
                ulong v = size == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(source[i..]) : source[i];
                if (!Access1(p, va + (ulong)i, size, write: true, v, out _)) return false;
                i += size;
            }
            return true;
        }
        catch (Exception e) when (e is not KernelPanicException)
        {
            throw AccessPanic(p, va, "store", e);
        }
    }

    private static KernelPanicException AccessPanic(Proc p, ulong va, string what, Exception e) =>
        new($"user {what}: {e.GetType().Name} in the MMU or the trap path ({p}, VA 0x{va:x}): {e.Message}", e);

    /// <summary>
    /// The fault's signal. Out of memory, uvm_fault's ENOMEM, kills the process as OpenBSD's trap.c does, saying so on
    /// the console ("UVM: pid N (comm), uid 0 killed: out of swap"), so the user sees why the program vanished.
    /// </summary>
    protected void Trapsignal(Cpu cpu, Process pr, TrapOutcome outcome)
    {
        if (outcome.Signal == Signal.SIGKILL)
        {
            string message = $"UVM: pid {pr.Pid} ({pr.Command}), uid 0 killed: out of swap";
            Dev.Pl011Console.Cnputs(cpu, message + "\n");
            exit.Dmesg?.Printf(cpu, message);
        }
        KernSigPost.Trapsignal(pr, outcome.Signal);
    }

    /// <summary>An 8-byte load or store where aligned and 8 bytes remain, else a byte.</summary>
    private static int Size(ulong va, int remaining) => (va & 7) == 0 && remaining >= 8 ? 8 : 1;

    /// <summary>
    /// The access came through a context that is not the running thread's: a program kept a frame or a lambda from
    /// before a fork (its program object is the other process's). No CPU would translate that address for it, so
    /// the running program gets SIGSEGV; the other thread is not touched.
    /// </summary>
    private bool StaleContext(Proc p)
    {
        var running = exit.Sched.Stepping;
        exit.Dmesg?.Printf(running is null ? null : machine.Cpu(running.Cpu),
            $"user access through the context of {p} by {(running?.ToString() ?? "no running thread")}: SIGSEGV");
        if (running?.Process is { } pr) KernSigPost.Trapsignal(pr, Signal.SIGSEGV);
        return false;
    }

    /// <summary>
    /// One access loaded or stored in user mode. A fault is taken to the kernel; the trap handler lets uvm_fault map
    /// the page and the access is retried after the return to user mode, or posts the signal (trapsignal) and the
    /// access fails. Once a fatal signal is pending, no further access is made: the program stops at its next yield.
    /// </summary>
    private bool Access1(Proc p, ulong va, int size, bool write, ulong store, out ulong value)
    {
        value = 0;
        if (exit.Sched.Stepping != p) return StaleContext(p);
        var cpu = machine.Cpu(p.Cpu);
        var pr = p.Process!;
        Kassert(cpu.El == 0, "user access: {0} is not in user mode on cpu{1}", p, cpu.Id);
        for (int attempt = 0; attempt < 2; attempt++)
        {
            if (KernSigPost.FatalPending(pr)) return false;
            if (size == 8 ? (write ? cpu.TryWrite64(va, store) : cpu.TryRead64(va, out value))
                : write ? cpu.TryWrite(va, 1, store) : cpu.TryRead(va, 1, out value)) return true;
            AbortTaken(cpu);
            ToKernel(cpu, p);   // the abort was taken: uvm_fault's time is the thread's system time
            var outcome = va < Access.VmMaxUserAddress
                ? Access.Fault(cpu, uvm, pr.Vmspace!.Map)
                : new TrapOutcome(false, Signal.SIGSEGV, SigCode.SegvAccErr, va);   // a kernel address from user mode
            if (!outcome.Resolved) Trapsignal(cpu, pr, outcome);
            EnterUser(cpu, p);
            if (!outcome.Resolved) return false;
        }
        return false;
    }
}
