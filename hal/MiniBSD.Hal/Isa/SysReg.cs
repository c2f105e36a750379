namespace MiniBSD.Hal.Isa;

/// <summary>
/// The system registers MiniBSD's CPUs implement, each valued op0:op1:CRn:CRm:op2 packed as in bits [20:5] of
/// MSR/MRS (op0 &lt;&lt; 14 | op1 &lt;&lt; 11 | CRn &lt;&lt; 7 | CRm &lt;&lt; 3 | op2), so MSR = 0xD5000000 | value &lt;&lt; 5 | Rt.
/// </summary>
public enum SysReg : ushort
{
    MidrEl1 = 3 << 14 | 0 << 11 | 0 << 7 | 0 << 3 | 0,
    MpidrEl1 = 3 << 14 | 0 << 11 | 0 << 7 | 0 << 3 | 5,
    IdAa64Mmfr0El1 = 3 << 14 | 0 << 11 | 0 << 7 | 7 << 3 | 0,
    IdAa64Mmfr1El1 = 3 << 14 | 0 << 11 | 0 << 7 | 7 << 3 | 1,
    SctlrEl1 = 3 << 14 | 0 << 11 | 1 << 7 | 0 << 3 | 0,
    Ttbr0El1 = 3 << 14 | 0 << 11 | 2 << 7 | 0 << 3 | 0,
    Ttbr1El1 = 3 << 14 | 0 << 11 | 2 << 7 | 0 << 3 | 1,
    TcrEl1 = 3 << 14 | 0 << 11 | 2 << 7 | 0 << 3 | 2,
    SpsrEl1 = 3 << 14 | 0 << 11 | 4 << 7 | 0 << 3 | 0,
    ElrEl1 = 3 << 14 | 0 << 11 | 4 << 7 | 0 << 3 | 1,
    CurrentEl = 3 << 14 | 0 << 11 | 4 << 7 | 2 << 3 | 2,
    Pan = 3 << 14 | 0 << 11 | 4 << 7 | 2 << 3 | 3,
    EsrEl1 = 3 << 14 | 0 << 11 | 5 << 7 | 2 << 3 | 0,
    FarEl1 = 3 << 14 | 0 << 11 | 6 << 7 | 0 << 3 | 0,
    ParEl1 = 3 << 14 | 0 << 11 | 7 << 7 | 4 << 3 | 0,
    MairEl1 = 3 << 14 | 0 << 11 | 10 << 7 | 2 << 3 | 0,
    VbarEl1 = 3 << 14 | 0 << 11 | 12 << 7 | 0 << 3 | 0,
    ContextidrEl1 = 3 << 14 | 0 << 11 | 13 << 7 | 0 << 3 | 1,
    TpidrEl1 = 3 << 14 | 0 << 11 | 13 << 7 | 0 << 3 | 4,
    CntfrqEl0 = 3 << 14 | 3 << 11 | 14 << 7 | 0 << 3 | 0,
    CntvctEl0 = 3 << 14 | 3 << 11 | 14 << 7 | 0 << 3 | 2,
    CntvCtlEl0 = 3 << 14 | 3 << 11 | 14 << 7 | 3 << 3 | 1,
    CntvCvalEl0 = 3 << 14 | 3 << 11 | 14 << 7 | 3 << 3 | 2,
}

public static class SysRegExtensions
{
    public static string Name(this SysReg r) => r switch
    {
        SysReg.MidrEl1 => "midr_el1",
        SysReg.MpidrEl1 => "mpidr_el1",
        SysReg.IdAa64Mmfr0El1 => "id_aa64mmfr0_el1",
        SysReg.IdAa64Mmfr1El1 => "id_aa64mmfr1_el1",
        SysReg.SctlrEl1 => "sctlr_el1",
        SysReg.Ttbr0El1 => "ttbr0_el1",
        SysReg.Ttbr1El1 => "ttbr1_el1",
        SysReg.TcrEl1 => "tcr_el1",
        SysReg.SpsrEl1 => "spsr_el1",
        SysReg.ElrEl1 => "elr_el1",
        SysReg.CurrentEl => "currentel",
        SysReg.Pan => "pan",
        SysReg.EsrEl1 => "esr_el1",
        SysReg.FarEl1 => "far_el1",
        SysReg.ParEl1 => "par_el1",
        SysReg.MairEl1 => "mair_el1",
        SysReg.VbarEl1 => "vbar_el1",
        SysReg.ContextidrEl1 => "contextidr_el1",
        SysReg.TpidrEl1 => "tpidr_el1",
        SysReg.CntfrqEl0 => "cntfrq_el0",
        SysReg.CntvctEl0 => "cntvct_el0",
        SysReg.CntvCtlEl0 => "cntv_ctl_el0",
        SysReg.CntvCvalEl0 => "cntv_cval_el0",
        _ => $"s{(int)r >> 14}_{((int)r >> 11) & 7}_c{((int)r >> 7) & 15}_c{((int)r >> 3) & 15}_{(int)r & 7}",
    };

    /// <summary>Registers that MSR may not write (UNDEFINED at EL1).</summary>
    public static bool IsReadOnly(this SysReg r) => r is SysReg.MidrEl1 or SysReg.MpidrEl1 or SysReg.IdAa64Mmfr0El1
        or SysReg.IdAa64Mmfr1El1 or SysReg.CurrentEl or SysReg.CntfrqEl0 or SysReg.CntvctEl0;

    /// <summary>Registers EL0 may read (CNTVCT_EL0 and CNTFRQ_EL0 with CNTKCTL_EL1 at its reset value allowing it).</summary>
    public static bool El0Readable(this SysReg r) => r is SysReg.CntvctEl0 or SysReg.CntfrqEl0;

    public static bool IsKnown(ushort value) => Enum.IsDefined((SysReg)value);
}
