namespace MiniBSD.Hal.Registers;

/// <summary>TCR_EL1, the translation control register (Arm ARM D24.2 TCR_EL1; reference §1.2).</summary>
public readonly record struct Tcr(ulong Value)
{
    public int T0sz => (int)(Value & 0x3F);
    public bool Epd0 => Bit(7);
    public int Irgn0 => Field(8, 2);
    public int Orgn0 => Field(10, 2);
    public int Sh0 => Field(12, 2);
    /// <summary>TG0: 0b00 = 4 KiB, 0b01 = 64 KiB, 0b10 = 16 KiB.</summary>
    public int Tg0 => Field(14, 2);
    public int T1sz => Field(16, 6);
    /// <summary>A1: 0 = the ASID comes from TTBR0_EL1, 1 = from TTBR1_EL1.</summary>
    public bool A1 => Bit(22);
    public bool Epd1 => Bit(23);
    public int Irgn1 => Field(24, 2);
    public int Orgn1 => Field(26, 2);
    public int Sh1 => Field(28, 2);
    /// <summary>TG1: 0b01 = 16 KiB, 0b10 = 4 KiB, 0b11 = 64 KiB (not the TG0 encoding).</summary>
    public int Tg1 => Field(30, 2);
    public int Ips => Field(32, 3);
    /// <summary>AS: 16-bit ASIDs when set (and ID_AA64MMFR0_EL1.ASIDBits says 16).</summary>
    public bool As => Bit(36);
    public bool Tbi0 => Bit(37);
    public bool Tbi1 => Bit(38);
    public bool Ha => Bit(39);
    public bool Hd => Bit(40);
    public bool Hpd0 => Bit(41);
    public bool Hpd1 => Bit(42);

    public const int Tg0Granule4K = 0b00, Tg0Granule64K = 0b01, Tg0Granule16K = 0b10;
    public const int Tg1Granule16K = 0b01, Tg1Granule4K = 0b10, Tg1Granule64K = 0b11;

    /// <summary>The reference's example value: 48-bit VA both halves, 4 KiB, inner-shareable WBWA, IPS 48, AS=1.</summary>
    public static Tcr Example48Bit => new(0x0000_0015_B510_3510);

    /// <summary>Builds a TCR from the fields an OS sets (everything else zero).</summary>
    public static Tcr Create(int t0sz = 16, int t1sz = 16, int ips = 5, bool as16 = true, bool a1 = false,
        bool epd0 = false, bool epd1 = false, bool tbi0 = false, bool tbi1 = false, bool ha = false, bool hd = false,
        bool hpd0 = false, bool hpd1 = false)
    {
        ulong v = (uint)(t0sz & 0x3F) | (ulong)(uint)(t1sz & 0x3F) << 16 | (ulong)(uint)(ips & 7) << 32;
        v |= 0b11UL << 12 | 0b01UL << 10 | 0b01UL << 8;      // SH0 inner, ORGN0/IRGN0 WBWA
        v |= 0b11UL << 28 | 0b01UL << 26 | 0b01UL << 24;     // SH1 inner, ORGN1/IRGN1 WBWA
        v |= (ulong)Tg1Granule4K << 30;                        // TG0 = 0b00 (4 KiB), TG1 = 0b10 (4 KiB)
        if (epd0) v |= 1UL << 7;
        if (a1) v |= 1UL << 22;
        if (epd1) v |= 1UL << 23;
        if (as16) v |= 1UL << 36;
        if (tbi0) v |= 1UL << 37;
        if (tbi1) v |= 1UL << 38;
        if (ha) v |= 1UL << 39;
        if (hd) v |= 1UL << 40;
        if (hpd0) v |= 1UL << 41;
        if (hpd1) v |= 1UL << 42;
        return new Tcr(v);
    }

    /// <summary>Output size in bits for an IPS/PARange encoding (reference §1.2, §1.6).</summary>
    public static int OutputBits(int ipsOrParange) => ipsOrParange switch
    {
        0 => 32,
        1 => 36,
        2 => 40,
        3 => 42,
        4 => 44,
        5 => 48,
        _ => 52,
    };

    private bool Bit(int n) => ((Value >> n) & 1) != 0;
    private int Field(int lsb, int width) => (int)((Value >> lsb) & ((1UL << width) - 1));

    public override string ToString() =>
        $"0x{Value:X16} (T0SZ={T0sz} EPD0={B(Epd0)} TG0={Tg0} T1SZ={T1sz} A1={B(A1)} EPD1={B(Epd1)} TG1={Tg1} IPS={Ips} AS={B(As)} TBI0={B(Tbi0)} TBI1={B(Tbi1)} HA={B(Ha)} HD={B(Hd)} HPD0={B(Hpd0)} HPD1={B(Hpd1)})";

    private static int B(bool b) => b ? 1 : 0;
}
