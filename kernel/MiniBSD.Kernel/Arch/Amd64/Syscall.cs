using MiniBSD.Hal;
using MiniBSD.Hal.X86;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Kernel.Arch.Amd64;

/// <summary>
/// OpenBSD amd64's Xsyscall and trap.c's user half, the hardware's side: a system call is SYSCALL (to LSTAR at CPL 0,
/// RCX and R11 saved, IF and AC masked) followed by SWAPGS; the return is SWAPGS and SYSRETQ after a system call, IRETQ
/// after a trap or an interrupt; interrupts come through IDT vectors (the local APIC timer in TSC-deadline mode, the
/// reschedule IPI); a fault is decoded from the #PF error code and CR2. The rest is <see cref="UserMode"/>'s.
/// </summary>
internal sealed class Syscall(Machine machine, Uvm.Uvm uvm, Sysent sysent, KernExit exit, long dispatchCycles)
    : UserMode(machine, uvm, sysent, exit, dispatchCycles)
{
    /// <summary>How each CPU last entered the kernel from user mode: by SYSCALL (return with SYSRETQ) or not (IRETQ).</summary>
    private readonly bool[] _bySyscall = new bool[machine.Cpus.Count];

    protected override IUserAccess Access => TrapAccess.Instance;

    protected override void TrapSyscall(Cpu cpu)
    {
        cpu.Execute(X86Code.Syscall);
        cpu.Execute(X86Code.Swapgs);
        _bySyscall[cpu.Id] = true;
    }

    protected override void ReturnToUser(Cpu cpu, ulong pc)
    {
        bool trapped = !_bySyscall[cpu.Id] && cpu.Frame.Cpl == 3;
        _bySyscall[cpu.Id] = false;
        if (trapped)
        {
            cpu.Execute(X86Code.Swapgs);
            cpu.Execute(X86Code.Iretq);                  // intr_user_exit: the trap's frame goes back
            return;
        }
        cpu.Execute(X86Code.Swapgs);
        cpu.Execute(X86Code.Sysretq, new(Rcx: pc, R11: RflagsBits.IF));   // a new image or a system call's return
    }

    protected override void InterruptFromUser(Cpu cpu, bool timer)
    {
        cpu.TakeInterrupt(timer ? Vector.Timer : Vector.Ipi);
        cpu.Execute(X86Code.Swapgs);
        cpu.Execute(X86Code.Clac);                        // INTRENTRY's SMAP_CLAC
        cpu.Wrmsr(Msr.X2ApicEoi, 0);
        _bySyscall[cpu.Id] = false;
    }

    /// <summary>STAC at CPL 3 is #UD (T_PRIVINFLT, SIGILL in trap.c); the trap entry swaps GS as it came from user mode.</summary>
    protected override bool PrivilegedInstruction(Cpu cpu)
    {
        cpu.Execute(X86Code.Stac);
        _bySyscall[cpu.Id] = false;
        if (cpu.El == 1 && cpu.Frame.Cpl == 3) cpu.Execute(X86Code.Swapgs);
        return cpu.Frame.Vector == Vector.UD;
    }

    protected override void DisarmTimer(Cpu cpu) => cpu.Wrmsr(Msr.TscDeadline, 0);

    public override void ArmTimer(Cpu cpu, long deadline) => cpu.Wrmsr(Msr.TscDeadline, (ulong)Math.Max(deadline, 1));

    /// <summary>A user-mode access's fault: the #PF handler decides; the return to user mode is the caller's (IRETQ).</summary>
    private sealed class TrapAccess : IUserAccess
    {
        public static TrapAccess Instance { get; } = new();
        public bool LoadUserByte(Cpu cpu, ulong va, out byte value) => UserAccess.Access.LoadUserByte(cpu, va, out value);
        public bool StoreUserByte(Cpu cpu, ulong va, byte value) => UserAccess.Access.StoreUserByte(cpu, va, value);
        /// <summary>The trap entry (INTRENTRY: SWAPGS when the frame came from CPL 3), then the #PF handler.</summary>
        public TrapOutcome Fault(Cpu cpu, Uvm.Uvm uvm, Uvm.VmMap map)
        {
            if (cpu.Frame.Cpl == 3) cpu.Execute(X86Code.Swapgs);
            return Trap.PageFault(cpu, uvm, map);
        }
        public ulong VmMaxUserAddress => VmParam.VmMaxUserAddress;
    }
}
