using MiniBSD.Hal;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Registers;

namespace MiniBSD.Tests.Hal;

/// <summary>The walk: start levels, VA range selection, leaf sizes, output addresses (reference §1.1, §2.5).</summary>
public sealed class TranslationTests
{
    private const ulong Data = 0x4200_0000;

    [Fact]
    public void Reference_worked_example_indices()
    {
        Assert.Equal([255UL, 511, 245, 219], Enumerable.Range(0, 4).Select(l => MmuFixture.Index(0x0000_7FFF_DEAD_B123, l)));
        Assert.Equal([0UL, 0, 145, 325], Enumerable.Range(0, 4).Select(l => MmuFixture.Index(0xFFFF_0000_1234_5678, l)));
    }

    [Fact]
    public void Four_kib_page_at_level_3_through_ttbr0()
    {
        var f = new MmuFixture();
        f.Map(f.Root0, 0x0000_7FFF_DEAD_B000, 3, Descriptor.Page(Data, ap: 0b01, ng: true));
        f.Enable();
        var par = f.Cpu.At(AtOp.S1E0R, 0x0000_7FFF_DEAD_B123);
        Assert.Equal(Par.Success(Data, 0xFF, 0b11), par);
        Assert.True(f.Cpu.TryWrite64(0x0000_7FFF_DEAD_B120, 0x1122_3344_5566_7788));
        Assert.Equal(0x1122_3344_5566_7788UL, f.Machine.Memory.Read64(Data + 0x120));
        Assert.Equal(1, f.Cpu.Counters.WalksWithReads(4));
        f.AssertCoherent();
    }

    [Fact]
    public void Two_mib_and_one_gib_blocks_through_ttbr1_keep_the_low_va_bits()
    {
        var f = new MmuFixture();
        f.Map(f.Root1, 0xFFFF_0000_1220_0000, 2, Descriptor.Block(0x4060_0000, ap: 0b00));
        f.Map(f.Root1, 0xFFFF_0080_4000_0000, 1, Descriptor.Block(0x4000_0000, ap: 0b00, attrIndx: 2));
        f.Enable();
        Assert.Equal(Par.Success(0x4074_5000, 0xFF, 0b11), f.Cpu.At(AtOp.S1E1R, 0xFFFF_0000_1234_5678));
        Assert.Equal(Par.Success(0x4123_4000, 0x04, 0b10), f.Cpu.At(AtOp.S1E1W, 0xFFFF_0080_4123_4567));
        Assert.True(f.Cpu.TryRead64(0xFFFF_0000_1234_5678 & ~7UL, out _));
        Assert.Equal(1, f.Cpu.Counters.WalksWithReads(3));
        f.AssertCoherent();
    }

    [Theory]
    [InlineData(16, 0, 9)]
    [InlineData(20, 0, 5)]
    [InlineData(24, 0, 1)]
    [InlineData(25, 1, 9)]
    [InlineData(33, 1, 1)]
    [InlineData(34, 2, 9)]
    [InlineData(39, 2, 4)]
    public void Start_level_and_first_table_size_follow_t0sz(int t0sz, int startLevel, int indexBits)
    {
        var range = new VaRange(0, t0sz, false, false, false, 0);
        Assert.Equal(startLevel, range.StartLevel);
        Assert.Equal(indexBits, range.StartIndexBits);
        Assert.Equal(64 - t0sz, range.InputBits);
    }

    [Theory]
    [InlineData(25, 1)]
    [InlineData(30, 1)]
    [InlineData(34, 2)]
    [InlineData(39, 2)]
    public void Shorter_va_starts_the_walk_lower(int t0sz, int startLevel)
    {
        var f = new MmuFixture();
        ulong va = 0x1234_5000 & ((1UL << (64 - t0sz)) - 1) & ~0xFFFUL;
        // Build the tree as if the root were at startLevel: map with the fixture starting at that level.
        f.Map(f.Root0, va, 3, Descriptor.Page(Data, ap: 0b00), startLevel);
        f.Enable(tcr: Tcr.Create(t0sz: t0sz));
        Assert.Equal(Par.Success(Data, 0xFF, 0b11), f.Cpu.At(AtOp.S1E1R, va));
        Assert.True(f.Cpu.TryRead64(va, out _));
        Assert.Equal(1, f.Cpu.Counters.WalksWithReads(4 - startLevel));
        f.AssertCoherent();
    }

    [Fact]
    public void A_small_first_table_is_aligned_to_its_size_and_the_ttbr_low_bits_ignored()
    {
        // T0SZ = 20: a 44-bit VA, L0 indexes VA[43:39] (32 entries, 256 bytes); TTBR's bits [7:1] are RES0.
        var f = new MmuFixture();
        ulong root = f.NewTable() + 0x100;
        ulong va = 0x0000_0800_0000_0000 | 0x5000; // L0 index 16
        ulong l1 = f.NewTable(), l2 = f.NewTable(), l3 = f.NewTable();
        f.Machine.Memory.Write64(root + 16 * 8, Descriptor.Table(l1).Value);
        f.Machine.Memory.Write64(l1, Descriptor.Table(l2).Value);
        f.Machine.Memory.Write64(l2, Descriptor.Table(l3).Value);
        f.Machine.Memory.Write64(l3 + 5 * 8, Descriptor.Page(Data, 0b00).Value);
        f.Cpu.Msr(SysReg.MairEl1, Mair.KernelDefault.Value);
        f.Cpu.Msr(SysReg.TcrEl1, Tcr.Create(t0sz: 20).Value);
        f.Cpu.Msr(SysReg.Ttbr0El1, root | 0xFE);
        f.Cpu.Msr(SysReg.SctlrEl1, Sctlr.MBit);
        Assert.Equal(Par.Success(Data, 0xFF, 0b11), f.Cpu.At(AtOp.S1E1R, va));
    }

    [Fact]
    public void Va_bit_55_selects_ttbr1_and_top_bits_must_match_it()
    {
        var f = new MmuFixture();
        f.Map(f.Root0, 0x1000, 3, Descriptor.Page(Data, 0b00));
        f.Map(f.Root1, 0xFFFF_0000_0000_1000, 3, Descriptor.Page(Data + 0x1000, 0b00));
        f.Enable();
        Assert.Equal(Data, f.Cpu.At(AtOp.S1E1R, 0x1000).PhysicalAddress);
        Assert.Equal(Data + 0x1000, f.Cpu.At(AtOp.S1E1R, 0xFFFF_0000_0000_1000).PhysicalAddress);
        Assert.Equal(Par.Fault(FaultStatus.TranslationL0), f.Cpu.At(AtOp.S1E1R, 0x0001_0000_0000_1000));
        Assert.Equal(Par.Fault(FaultStatus.TranslationL0), f.Cpu.At(AtOp.S1E1R, 0xFFFE_0000_0000_1000));
        Assert.Equal(Par.Fault(FaultStatus.TranslationL0), f.Cpu.At(AtOp.S1E1R, 0x0080_0000_0000_1000)); // bit 55 set, top clear
    }

    [Fact]
    public void Tbi_ignores_the_top_byte_per_range()
    {
        var f = new MmuFixture();
        f.Map(f.Root0, 0x1000, 3, Descriptor.Page(Data, 0b00));
        f.Map(f.Root1, 0xFFFF_0000_0000_1000, 3, Descriptor.Page(Data + 0x1000, 0b00));
        f.Enable(tcr: Tcr.Create(tbi0: true));
        Assert.Equal(Data, f.Cpu.At(AtOp.S1E1R, 0x5A00_0000_0000_1000).PhysicalAddress);
        Assert.Equal(Par.Fault(FaultStatus.TranslationL0), f.Cpu.At(AtOp.S1E1R, 0x5AFF_0000_0000_1000)); // [55:48] must match bit 55
        Assert.Equal(Par.Fault(FaultStatus.TranslationL0), f.Cpu.At(AtOp.S1E1R, 0x5AFF_FF00_0000_1000));
        // VA[55] = 1 selects TTBR1, whose TBI1 is off: bits [63:48] must then all be ones.
        Assert.Equal(Par.Fault(FaultStatus.TranslationL0), f.Cpu.At(AtOp.S1E1R, 0x00FF_0000_0000_1000));
        Assert.Equal(Data + 0x1000, f.Cpu.At(AtOp.S1E1R, 0xFFFF_0000_0000_1000).PhysicalAddress);
        Assert.True(f.Cpu.TryRead64(0x7700_0000_0000_1008, out _));
        f.AssertCoherent();
    }

    [Fact]
    public void Epd_stops_walks_but_not_tlb_hits()
    {
        var f = new MmuFixture();
        f.Map(f.Root0, 0x1000, 3, Descriptor.Page(Data, 0b00));
        f.Map(f.Root0, 0x2000, 3, Descriptor.Page(Data + 0x1000, 0b00));
        f.Enable();
        Assert.True(f.Cpu.TryRead64(0x1000, out _));                        // cached
        f.Cpu.Msr(SysReg.TcrEl1, Tcr.Create(epd0: true).Value);
        f.Cpu.Isb();
        Assert.True(f.Cpu.TryRead64(0x1008, out _));                        // TLB hit: still translates
        Assert.False(f.Cpu.TryRead64(0x2000, out _));                       // miss: no walk
        Assert.Equal(Esr.DataAbort(false, FaultStatus.TranslationL0, false), f.Cpu.Esr);
        Assert.Equal(Par.Fault(FaultStatus.TranslationL0), f.Cpu.At(AtOp.S1E1R, 0x1000)); // AT always walks
        f.AssertCoherent();
    }

    [Theory]
    [InlineData(12)]
    [InlineData(15)]
    [InlineData(40)]
    [InlineData(63)]
    public void Txsz_out_of_range_is_a_level_0_translation_fault(int t0sz)
    {
        var f = new MmuFixture();
        f.Enable(tcr: new Tcr((Tcr.Create().Value & ~0x3FUL) | (uint)t0sz));
        Assert.Equal(Par.Fault(FaultStatus.TranslationL0), f.Cpu.At(AtOp.S1E1R, 0x1000));
    }

    [Fact]
    public void Mmu_off_is_a_flat_device_mapping_within_parange()
    {
        var f = new MmuFixture(paBits: 40);
        Assert.Equal(Par.Success(0x4000_1000, 0x00, 0b10), f.Cpu.At(AtOp.S1E1R, 0x4000_1234));
        Assert.Equal(Par.Fault(FaultStatus.AddressSizeL0), f.Cpu.At(AtOp.S1E1R, 0x100_0000_0000));
        Assert.True(f.Cpu.TryWrite(0x4000_0010, 4, 0xDEAD_BEEF));
        Assert.Equal(0xDEAD_BEEFUL, f.Machine.Memory.Read64(0x4000_0010));
        Assert.Equal(1, f.Cpu.Counters.UntranslatedAccesses);
    }

    [Fact]
    public void Asid_comes_from_ttbr1_when_a1_is_set_and_is_cut_to_8_bits_without_as()
    {
        var f = new MmuFixture();
        f.Enable(tcr: Tcr.Create(a1: true), asid: 7);
        f.Cpu.Msr(SysReg.Ttbr1El1, Ttbr.Create(f.Root1, 0x1234).Value);
        Assert.Equal(0x1234, f.Cpu.CurrentAsid);
        f.Cpu.Msr(SysReg.TcrEl1, Tcr.Create(a1: true, as16: false).Value);
        Assert.Equal(0x34, f.Cpu.CurrentAsid);
        var small = new MmuFixture(asidBits: 8);
        small.Enable(asid: 0x1FF);
        Assert.Equal(0xFF, small.Cpu.CurrentAsid);
    }

    [Theory]
    [InlineData(0b01)]
    [InlineData(0b10)]
    public void A_granule_other_than_4k_fails_loudly_and_changes_nothing(int tg0)
    {
        var f = new MmuFixture();
        f.Enable();
        var before = f.Cpu.Tcr;
        ulong bad = (Tcr.Create().Value & ~(3UL << 14)) | (ulong)(uint)tg0 << 14;
        var e = Assert.Throws<UnsupportedFeatureException>(() => f.Cpu.Msr(SysReg.TcrEl1, bad));
        Assert.Contains("TG0", e.Message);
        Assert.Equal(before, f.Cpu.Tcr);
        Assert.Throws<UnsupportedFeatureException>(() => f.Cpu.Msr(SysReg.TcrEl1, Tcr.Create().Value & ~(3UL << 30) | 1UL << 30));
    }

    [Fact]
    public void Reserved_tg_encodings_are_taken_as_4k()
    {
        var f = new MmuFixture();
        f.Map(f.Root0, 0x1000, 3, Descriptor.Page(Data, 0b00));
        f.Enable(tcr: new Tcr(Tcr.Create().Value | 3UL << 14));
        Assert.Equal(Data, f.Cpu.At(AtOp.S1E1R, 0x1000).PhysicalAddress);
    }

    [Fact]
    public void Big_endian_walks_with_sctlr_ee()
    {
        var f = new MmuFixture();
        ulong l1 = f.NewTable(), l2 = f.NewTable(), l3 = f.NewTable();
        void Be(ulong at, ulong v) => f.Machine.Memory.Write64(at, System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v));
        Be(f.Root0, Descriptor.Table(l1).Value);
        Be(l1, Descriptor.Table(l2).Value);
        Be(l2, Descriptor.Table(l3).Value);
        Be(l3 + 8, Descriptor.Page(Data, 0b00).Value);
        f.Enable(sctlr: Sctlr.MBit | Sctlr.EeBit);
        Assert.Equal(Data, f.Cpu.At(AtOp.S1E1R, 0x1000).PhysicalAddress);
        Assert.Throws<UnsupportedFeatureException>(() => f.Cpu.TryRead64(0x1000, out _));
    }
}
