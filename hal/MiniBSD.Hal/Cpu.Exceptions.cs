using MiniBSD.Hal.Registers;

namespace MiniBSD.Hal;

public sealed partial class Cpu
{
    /// <summary>SPSR_EL1.M[3:0] for EL0t and EL1h; SPSR_EL1.PAN is bit 22.</summary>
    public const ulong SpsrEl0t = 0b0000, SpsrEl1h = 0b0101, SpsrPanBit = 1UL << 22;

    /// <summary>
    /// Takes a synchronous exception to EL1: SPSR_EL1 saves PSTATE, ELR_EL1 the preferred return address,
    /// ESR_EL1 the syndrome, FAR_EL1 the faulting address (aborts only); PSTATE.EL becomes 1 and PSTATE.PAN is set
    /// when SCTLR_EL1.SPAN = 0 (SCTLR_EL1.SPAN, reference §1.5).
    /// </summary>
    internal void TakeException(Esr esr, ulong preferredReturn, ulong? far)
    {
        _esr = esr.Value;
        if (far is { } f) _far = f;
        EnterEl1(preferredReturn);
        Counters.ExceptionsTaken++;
    }

    /// <summary>What every exception entry does: save PSTATE and the return address, go to EL1, PAN per SPAN.</summary>
    private void EnterEl1(ulong preferredReturn)
    {
        _spsr = (El == 0 ? SpsrEl0t : SpsrEl1h) | (Pan ? SpsrPanBit : 0);
        _elr = preferredReturn;
        SetEl(1);
        if (!Sctlr.Span) Pan = true;
        Clock += _costs.ExceptionEntry;
    }

    /// <summary>ERET: PSTATE from SPSR_EL1 (EL and PAN), PC from ELR_EL1.</summary>
    private void ExceptionReturn()
    {
        SetEl((_spsr & 0b1111) == SpsrEl0t ? 0 : 1);
        Pan = (_spsr & SpsrPanBit) != 0;
        Pc = _elr;
        Clock += _costs.ExceptionReturn;
        Counters.ExceptionReturns++;
    }

    /// <summary>
    /// Puts the CPU at EL0 with the given PC, as the kernel's first ERET to a new user context does:
    /// SPSR_EL1 = EL0t with PAN kept, ELR_EL1 = <paramref name="pc"/>, then ERET (executed from its encoding).
    /// </summary>
    public void EnterUser(ulong pc)
    {
        Msr(Isa.SysReg.SpsrEl1, SpsrEl0t | (Pan ? SpsrPanBit : 0));
        Msr(Isa.SysReg.ElrEl1, pc);
        Eret();
    }
}
