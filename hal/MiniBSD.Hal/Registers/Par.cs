namespace MiniBSD.Hal.Registers;

/// <summary>
/// PAR_EL1 in the 64-bit format written by AT (Arm ARM D24.2.142; QEMU target/arm/tcg/cpregs-at.c do_ats_write).
/// Success (F=0): ATTR [63:56], PA [47:12], bit 11 RES1, NS [9], SH [8:7].
/// Failure (F=1): bit 11 RES1, S [9], PTW [8], FST [6:1], F [0].
/// </summary>
public readonly record struct Par(ulong Value)
{
    public bool F => (Value & 1) != 0;
    public ulong PhysicalAddress => Value & 0x0000_FFFF_FFFF_F000;
    public byte Attr => (byte)(Value >> 56);
    public int Sh => (int)((Value >> 7) & 3);
    public bool Ns => ((Value >> 9) & 1) != 0;
    public FaultStatus Fst => (FaultStatus)((Value >> 1) & 0x3F);

    /// <summary>
    /// A successful translation. SH is reported as 0b10 (Outer Shareable) for Device and
    /// Normal Non-cacheable memory, whatever the descriptor says (pseudocode PAREncodeShareability).
    /// NS is 1: the EL1&amp;0 regime here is Non-secure.
    /// </summary>
    public static Par Success(ulong pa, byte mairAttr, int descriptorSh)
    {
        int sh = Mair.IsDevice(mairAttr) || Mair.IsNormalNonCacheable(mairAttr) ? 0b10 : descriptorSh & 3;
        return new Par((ulong)mairAttr << 56 | (pa & 0x000F_FFFF_FFFF_F000) | 1UL << 11 | 1UL << 9 | (ulong)sh << 7);
    }

    /// <summary>A failed translation: F=1 and the fault status in FST; S and PTW are 0 (no stage 2).</summary>
    public static Par Fault(FaultStatus fst) => new(1UL << 11 | (ulong)fst << 1 | 1);

    public override string ToString() => F
        ? $"0x{Value:X16} (F=1 FST=0x{(int)Fst:X2} {Fst.Describe()})"
        : $"0x{Value:X16} (F=0 PA=0x{PhysicalAddress:X} ATTR=0x{Attr:X2} {Mair.Describe(Attr)} SH={Convert.ToString(Sh, 2).PadLeft(2, '0')} NS={(Ns ? 1 : 0)})";
}
