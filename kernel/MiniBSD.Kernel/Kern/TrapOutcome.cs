using MiniBSD.Kernel.Abi;

namespace MiniBSD.Kernel.Kern;

/// <summary>What the trap handler decided: resume the faulting access, or deliver a signal.</summary>
public readonly record struct TrapOutcome(bool Resolved, Signal Signal, int Code, ulong Address)
{
    public static TrapOutcome Resume => new(true, Signal.None, 0, 0);

    /// <summary>What uvm_fault's answer means for the process (both trap.c's do the same).</summary>
    public static TrapOutcome FromFault(Uvm.FaultResult result, ulong va) => result switch
    {
        Uvm.FaultResult.Resolved => Resume,
        Uvm.FaultResult.InvalidAddress => new(false, Signal.SIGSEGV, SigCode.SegvMapErr, va),
        Uvm.FaultResult.ProtectionFailure => new(false, Signal.SIGSEGV, SigCode.SegvAccErr, va),
        _ => new(false, Signal.SIGKILL, 0, va),   // out of memory: OpenBSD kills the process
    };
}
