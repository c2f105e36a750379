using MiniBSD.Hal;
using MiniBSD.Hal.Isa;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Kernel.Arch.Arm64;

/// <summary>
/// OpenBSD arm64's syscall.c (svc_handler) and trap.c's user half, the hardware's side: a system call is SVC #0 taken
/// to EL1 (ESR_EL1.EC = 0x15), the return is ERET from SPSR_EL1/ELR_EL1, interrupts are IRQs to EL1, the slice timer
/// is the generic timer (CNTV_CVAL_EL0), a fault is decoded by data_abort. The rest is <see cref="UserMode"/>'s.
/// </summary>
internal sealed class Syscall(Machine machine, Uvm.Uvm uvm, Sysent sysent, KernExit exit, long dispatchCycles)
    : UserMode(machine, uvm, sysent, exit, dispatchCycles)
{
    protected override IUserAccess Access => UserAccess.Access;

    private readonly PmapSystem _pmap = (PmapSystem)uvm.Pmaps;

    protected override void TrapSyscall(Cpu cpu)
    {
        cpu.Svc(0);              // ESR_EL1 = EC 0x15, IL, imm16 0; ELR_EL1 = PC + 4
        _pmap.KernelAsid(cpu);   // the vector's trampoline: the kernel's ASID of the pair
    }

    protected override void ReturnToUser(Cpu cpu, ulong pc)
    {
        _pmap.UserAsid(cpu);     // the user ASID of the pair, then back through the trampoline
        cpu.EnterUser(pc);       // SPSR_EL1 (EL0t), ELR_EL1, ERET
    }

    protected override void InterruptFromUser(Cpu cpu, bool timer)
    {
        cpu.TakeInterrupt();     // IRQ at EL0: to EL1
        _pmap.KernelAsid(cpu);
    }

    protected override void AbortTaken(Cpu cpu) => _pmap.KernelAsid(cpu);

    /// <summary>An MSR to an EL1 register at EL0 is UNDEFINED: the Undefined Instruction exception (ESR_EL1.EC = 0x00).</summary>
    protected override bool PrivilegedInstruction(Cpu cpu)
    {
        cpu.Execute(A64.Msr(SysReg.Ttbr0El1), 0);
        bool trapped = cpu.Esr.Ec == Hal.Registers.ExceptionClass.Unknown;
        if (cpu.El == 1) _pmap.KernelAsid(cpu);
        return trapped;
    }

    protected override void DisarmTimer(Cpu cpu) => cpu.Msr(SysReg.CntvCtlEl0, 0);

    public override void ArmTimer(Cpu cpu, long deadline)
    {
        ulong ticks = (ulong)((deadline + Cpu.CyclesPerTick - 1) / Cpu.CyclesPerTick);
        cpu.Msr(SysReg.CntvCvalEl0, ticks);
        cpu.Msr(SysReg.CntvCtlEl0, Cpu.TimerEnable);
    }
}
