namespace MiniBSD.Hal.Mmu;

/// <summary>
/// One of the two VA ranges of the EL1&amp;0 regime (TTBR0 when VA[55] = 0, TTBR1 when 1), decoded from
/// TCR_EL1 and the TTBR. Everything the walker needs per range is precomputed here.
/// </summary>
public readonly struct VaRange
{
    public VaRange(int select, int txsz, bool epd, bool tbi, bool hpd, ulong ttbr)
    {
        Select = select;
        Txsz = txsz;
        // TxSZ outside 16..39 (4 KiB granule, no FEAT_LVA/ST): QEMU raises a level 0 Translation fault.
        TxszOutOfRange = txsz < 16 || txsz > 39;
        InputBits = 64 - Math.Clamp(txsz, 16, 39);
        // level = 4 - ceil((inputsize - 12) / 9) = 4 - (inputsize - 4) / 9 (Q-ptw)
        StartLevel = 4 - (InputBits - 4) / 9;
        StartIndexBits = InputBits - (12 + 9 * (3 - StartLevel));
        Epd = epd;
        Tbi = tbi;
        Hpd = hpd;
        Ttbr = ttbr;
        int addrTop = tbi ? 55 : 63;
        // Bits [addrTop:InputBits] must all equal VA[55] (reference §1.1).
        TopMask = (addrTop == 63 ? ulong.MaxValue : (1UL << (addrTop + 1)) - 1) & ~((1UL << InputBits) - 1);
        TopExpected = select == 0 ? 0 : TopMask;
    }

    public int Select { get; }
    public int Txsz { get; }
    public bool TxszOutOfRange { get; }
    /// <summary>64 - TxSZ: the number of VA bits translated.</summary>
    public int InputBits { get; }
    /// <summary>0 for TxSZ 16-24, 1 for 25-33, 2 for 34-39.</summary>
    public int StartLevel { get; }
    /// <summary>VA bits indexed at the start level (1..9); the start table has 2^n entries.</summary>
    public int StartIndexBits { get; }
    public bool Epd { get; }
    public bool Tbi { get; }
    public bool Hpd { get; }
    public ulong Ttbr { get; }
    public ulong TopMask { get; }
    public ulong TopExpected { get; }

    /// <summary>True when the VA's top bits fit this range (TBI-adjusted), so translation may proceed.</summary>
    public bool InRange(ulong va) => (va & TopMask) == TopExpected;
}
