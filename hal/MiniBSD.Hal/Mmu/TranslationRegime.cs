using MiniBSD.Hal.Registers;

namespace MiniBSD.Hal.Mmu;

/// <summary>
/// The stage-1 EL1&amp;0 regime as one CPU's system registers define it right now: SCTLR_EL1, TCR_EL1,
/// TTBR0/1_EL1, MAIR_EL1 and the ID registers, decoded once when one of them is written. Each CPU has one, decoded
/// again in place at each write (a TTBR0 write at every context switch must not allocate), so it is a view of the
/// registers now: read it, do not keep it across a register write.
/// </summary>
public sealed class TranslationRegime
{
    private TranslationRegime(Sctlr sctlr, Tcr tcr, Ttbr ttbr0, Ttbr ttbr1, Mair mair, IdAa64Mmfr0 id) =>
        Load(sctlr, tcr, ttbr0, ttbr1, mair, id);

    private void Load(Sctlr sctlr, Tcr tcr, Ttbr ttbr0, Ttbr ttbr1, Mair mair, IdAa64Mmfr0 id)
    {
        Sctlr = sctlr;
        Tcr = tcr;
        Mair = mair;
        BigEndianWalks = sctlr.Ee;
        BigEndianData = sctlr.Ee || sctlr.E0e;
        HardwareAccessFlag = tcr.Ha;
        HardwareDirty = tcr.Ha && tcr.Hd;
        Wxn = sctlr.Wxn;
        PaBits = id.PhysicalAddressBits;
        // IPS bounded by PARange gives the effective output size (Q-ptw; reserved IPS 0b111 is thus PARange).
        OutputBits = Tcr.OutputBits(Math.Min(tcr.Ips, id.PaRange));
        AsidBits = id.AsidBits == 16 && tcr.As ? 16 : 8;
        var asidSource = tcr.A1 ? ttbr1 : ttbr0;
        Asid = (ushort)(asidSource.Asid & (AsidBits == 16 ? 0xFFFF : 0xFF));
        _lower = new VaRange(0, tcr.T0sz, tcr.Epd0, tcr.Tbi0, tcr.Hpd0, ttbr0.Value);
        _upper = new VaRange(1, tcr.T1sz, tcr.Epd1, tcr.Tbi1, tcr.Hpd1, ttbr1.Value);
    }

    public Sctlr Sctlr { get; private set; }
    public Tcr Tcr { get; private set; }
    public Mair Mair { get; private set; }
    public bool MmuEnabled => Sctlr.M;
    /// <summary>PARange width: the machine's physical address size.</summary>
    public int PaBits { get; private set; }
    /// <summary>min(TCR.IPS, PARange) as a width in bits.</summary>
    public int OutputBits { get; private set; }
    /// <summary>8 or 16: the width in use (16 needs ASIDBits=16 and TCR.AS=1).</summary>
    public int AsidBits { get; private set; }
    /// <summary>The current ASID: from TTBR1 when TCR.A1 = 1, else TTBR0, cut to <see cref="AsidBits"/>.</summary>
    public ushort Asid { get; private set; }
    private VaRange _lower, _upper;
    public ref readonly VaRange Lower => ref _lower;
    public ref readonly VaRange Upper => ref _upper;
    /// <summary>SCTLR_EL1.EE: translation table walks (and EL1 data) are big-endian.</summary>
    public bool BigEndianWalks { get; private set; }
    /// <summary>SCTLR_EL1.EE or E0E: some data accesses would be big-endian, which MiniBSD's CPUs do not implement.</summary>
    public bool BigEndianData { get; private set; }
    /// <summary>TCR_EL1.HA: the walker sets AF instead of faulting.</summary>
    public bool HardwareAccessFlag { get; private set; }
    /// <summary>TCR_EL1.HA and HD: a write to a DBM=1 entry clears AP[2] instead of faulting.</summary>
    public bool HardwareDirty { get; private set; }
    /// <summary>SCTLR_EL1.WXN.</summary>
    public bool Wxn { get; private set; }

    /// <summary>The range VA[55] selects.</summary>
    public ref readonly VaRange RangeFor(ulong va) => ref ((va >> 55) & 1) == 0 ? ref _lower : ref _upper;

    /// <summary>
    /// Decodes the registers. A granule other than 4 KiB is not implemented and fails loudly (the reserved
    /// encodings TG0 = 0b11 and TG1 = 0b00 are the IMPLEMENTATION DEFINED choice of 4 KiB, as QEMU makes it).
    /// </summary>
    // The exceptions are made in methods of their own: an interpolated string in Decode (run at every TTBR0 write)
    // would slow all of it.
    private static UnsupportedFeatureException Tg0Unsupported(Tcr tcr) =>
        new($"TCR_EL1.TG0=0b{Convert.ToString(tcr.Tg0, 2).PadLeft(2, '0')} ({(tcr.Tg0 == Tcr.Tg0Granule16K ? "16" : "64")} KiB granule) is not implemented: MiniBSD's MMU has only the 4 KiB granule (TG0=0b00)");

    private static UnsupportedFeatureException Tg1Unsupported(Tcr tcr) =>
        new($"TCR_EL1.TG1=0b{Convert.ToString(tcr.Tg1, 2).PadLeft(2, '0')} ({(tcr.Tg1 == Tcr.Tg1Granule16K ? "16" : "64")} KiB granule) is not implemented: MiniBSD's MMU has only the 4 KiB granule (TG1=0b10)");

    public static TranslationRegime Decode(Sctlr sctlr, Tcr tcr, Ttbr ttbr0, Ttbr ttbr1, Mair mair, IdAa64Mmfr0 id)
    {
        CheckGranules(tcr);
        return new TranslationRegime(sctlr, tcr, ttbr0, ttbr1, mair, id);
    }

    /// <summary><see cref="Decode"/> into this object; an unsupported value throws and leaves it as it was.</summary>
    public void Redecode(Sctlr sctlr, Tcr tcr, Ttbr ttbr0, Ttbr ttbr1, Mair mair, IdAa64Mmfr0 id)
    {
        CheckGranules(tcr);
        Load(sctlr, tcr, ttbr0, ttbr1, mair, id);
    }

    private static void CheckGranules(Tcr tcr)
    {
        if (tcr.Tg0 is Tcr.Tg0Granule16K or Tcr.Tg0Granule64K) throw Tg0Unsupported(tcr);
        if (tcr.Tg1 is Tcr.Tg1Granule16K or Tcr.Tg1Granule64K) throw Tg1Unsupported(tcr);
    }
}
