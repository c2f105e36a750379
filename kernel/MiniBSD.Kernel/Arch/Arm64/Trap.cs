using MiniBSD.Hal;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Registers;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Kernel.Arch.Arm64;

/// <summary>
/// The abort half of OpenBSD's arm64 trap.c (data_abort): reads ESR_EL1 and FAR_EL1 with MRS, turns translation,
/// access flag and permission faults into uvm_fault calls (the access is a write when WnR says so, an instruction
/// fetch for an Instruction Abort), and everything else (address size, external aborts, alignment) into SIGBUS.
/// A user program's mistake becomes a signal, never a panic.
/// </summary>
public static class Trap
{
    public static TrapOutcome DataAbort(Cpu cpu, Uvm.Uvm uvm, VmMap map)
    {
        var esr = new Esr(cpu.Mrs(SysReg.EsrEl1));
        ulong far = cpu.Mrs(SysReg.FarEl1);
        bool fetch = esr.Ec is ExceptionClass.InstructionAbortLowerEl or ExceptionClass.InstructionAbortSameEl;
        switch (esr.FaultStatus.Kind())
        {
            case FaultKind.Translation or FaultKind.AccessFlag or FaultKind.Permission:
                var access = fetch ? VmProt.Execute : esr.WnR ? VmProt.Write : VmProt.Read;
                return TrapOutcome.FromFault(uvm.UvmFault(cpu, map, far, access), far);
            case FaultKind.Alignment:
                return new(false, Signal.SIGBUS, SigCode.BusAdrAln, far);
            case FaultKind.ExternalAbort or FaultKind.ExternalAbortOnWalk:
                return new(false, Signal.SIGBUS, SigCode.BusObjErr, far);
            default:
                return new(false, Signal.SIGBUS, SigCode.BusAdrErr, far);
        }
    }
}
