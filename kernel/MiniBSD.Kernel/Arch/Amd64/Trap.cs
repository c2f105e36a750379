using MiniBSD.Hal;
using MiniBSD.Hal.X86;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Kernel.Arch.Amd64;

/// <summary>
/// The fault half of OpenBSD's amd64 trap.c: a #PF (T_PAGEFLT) goes to uvm_fault with the faulting address from CR2
/// (MOV from CR2) and the access from the error code (I/D: a fetch; W/R: a write); a #GP from user mode (T_PROTFLT,
/// a non-canonical address among others) is SIGBUS with BUS_OBJERR; #UD (T_PRIVINFLT) is SIGILL. A reserved bit in a
/// user pmap's entry is SIGBUS too. A user program's mistake becomes a signal, never a panic.
/// </summary>
public static class Trap
{
    public static TrapOutcome PageFault(Cpu cpu, Uvm.Uvm uvm, VmMap map)
    {
        var frame = cpu.Frame;
        switch (frame.Vector)
        {
            case Vector.PF:
                ulong cr2 = cpu.ReadCr2();
                var error = (PageFaultError)frame.ErrorCode;
                if ((error & PageFaultError.ReservedBit) != 0) return new(false, Signal.SIGBUS, SigCode.BusObjErr, cr2);
                var access = (error & PageFaultError.Fetch) != 0 ? VmProt.Execute : (error & PageFaultError.Write) != 0 ? VmProt.Write : VmProt.Read;
                return TrapOutcome.FromFault(uvm.UvmFault(cpu, map, cr2, access), cr2);
            case Vector.UD:
                return new(false, Signal.SIGILL, 0, frame.Rip);
            default:
                return new(false, Signal.SIGBUS, SigCode.BusObjErr, frame.Rip);
        }
    }
}
