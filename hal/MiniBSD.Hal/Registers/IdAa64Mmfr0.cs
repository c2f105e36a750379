namespace MiniBSD.Hal.Registers;

/// <summary>ID_AA64MMFR0_EL1: what the MMU supports (reference §1.6).</summary>
public readonly record struct IdAa64Mmfr0(ulong Value)
{
    public int PaRange => (int)(Value & 0xF);
    public int AsidBitsField => (int)((Value >> 4) & 0xF);
    public int AsidBits => AsidBitsField == 2 ? 16 : 8;
    public int PhysicalAddressBits => Tcr.OutputBits(PaRange);

    /// <summary>
    /// The value for a MiniBSD CPU: the given PARange and ASID width, TGran4 = 0 (4 KiB supported),
    /// TGran16 = 0 (16 KiB not supported), TGran64 = 0xF (64 KiB not supported).
    /// </summary>
    public static IdAa64Mmfr0 Create(int paBits, int asidBits)
    {
        int parange = PaRangeFor(paBits);
        int asidField = asidBits switch
        {
            8 => 0,
            16 => 2,
            _ => throw new ArgumentOutOfRangeException(nameof(asidBits), asidBits, "ASID width must be 8 or 16"),
        };
        return new IdAa64Mmfr0((uint)parange | (uint)asidField << 4 | 0x0UL << 28 | 0x0UL << 20 | 0xFUL << 24);
    }

    /// <summary>PARange encoding for a physical address width (32..48; 52 would need FEAT_LPA2).</summary>
    public static int PaRangeFor(int paBits) => paBits switch
    {
        32 => 0,
        36 => 1,
        40 => 2,
        42 => 3,
        44 => 4,
        48 => 5,
        _ => throw new ArgumentOutOfRangeException(nameof(paBits), paBits, "physical address width must be one of 32, 36, 40, 42, 44, 48"),
    };
}
