using MiniBSD.Hal;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Registers;

namespace MiniBSD.Tests.Hal;

/// <summary>Every fault kind at every level it can occur, as PAR_EL1 (AT) and as ESR_EL1/FAR_EL1 (access).</summary>
public sealed class FaultTests
{
    private const ulong Va = 0x0000_0040_0060_3000; // L0 0, L1 1, L2 3, L3 3
    private const ulong Data = 0x4200_0000;

    /// <summary>Asserts that an EL1 load of <paramref name="va"/> faults with <paramref name="status"/> both ways.</summary>
    private static void AssertFault(MmuFixture f, ulong va, FaultStatus status)
    {
        Assert.Equal(Par.Fault(status), f.Cpu.At(AtOp.S1E1R, va));
        Assert.False(f.Cpu.TryRead64(va, out _));
        Assert.Equal(Esr.DataAbort(false, status, write: false), f.Cpu.Esr);
        Assert.Equal(va, f.Cpu.Far);
        Assert.Equal(1, f.Cpu.Counters.Faults(status.Kind(), status.Level()));
        Assert.Equal(0, f.Cpu.Tlb.Count); // faulting translations are never cached
        f.AssertCoherent();
    }

    /// <summary>A leaf at level 1 (1 GiB block), 2 (2 MiB block) or 3 (page) with a suitably aligned output address.</summary>
    private static Descriptor LeafAt(int level, int ap, bool af = true) => level switch
    {
        1 => Descriptor.Block(0x4000_0000, ap, af: af),
        2 => Descriptor.Block(0x4020_0000, ap, af: af),
        _ => Descriptor.Page(Data, ap, af: af),
    };

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Invalid_descriptor_is_a_translation_fault_at_its_level(int level)
    {
        var f = new MmuFixture();
        f.Map(f.Root0, Va, 3, Descriptor.Page(Data, 0b00));
        f.Machine.Memory.Write64(f.Slot(f.Root0, Va, level), 0xFFFF_FFFF_FFFF_FFFEUL); // bit 0 clear: all else ignored
        f.Enable();
        AssertFault(f, Va, FaultKind.Translation.ToStatus(level));
    }

    [Fact]
    public void Block_encoding_at_level_0_is_a_translation_fault_level_0()
    {
        var f = new MmuFixture();
        f.Machine.Memory.Write64(f.Root0, Descriptor.Block(0, 0b00).Value);
        f.Enable();
        AssertFault(f, Va, FaultStatus.TranslationL0);
    }

    [Fact]
    public void Reserved_encoding_at_level_3_is_a_translation_fault_level_3()
    {
        var f = new MmuFixture();
        f.Map(f.Root0, Va, 3, Descriptor.Block(Data, 0b00));
        f.Enable();
        AssertFault(f, Va, FaultStatus.TranslationL3);
    }

    [Fact]
    public void Table_base_beyond_the_output_size_is_an_address_size_fault_level_0()
    {
        var f = new MmuFixture();
        f.Enable(tcr: Tcr.Create(ips: 0)); // 32-bit output, TTBR0 points at 0x4010_0000 fine...
        f.Cpu.Msr(SysReg.Ttbr0El1, 0x1_0000_0000);
        AssertFault(f, Va, FaultStatus.AddressSizeL0);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Next_table_address_beyond_the_output_size_faults_at_the_level_that_holds_it(int level)
    {
        var f = new MmuFixture(memory: 64 * MachineConfig.MiB);
        f.Map(f.Root0, Va, 3, Descriptor.Page(Data, 0b00));
        f.Machine.Memory.Write64(f.Slot(f.Root0, Va, level), Descriptor.Table(0x1_0000_0000).Value);
        f.Enable(tcr: Tcr.Create(ips: 0)); // 32 bits: 0x1_0000_0000 is out of range
        AssertFault(f, Va, FaultKind.AddressSize.ToStatus(level));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Output_address_beyond_ips_faults_at_the_leaf_level(int level)
    {
        var f = new MmuFixture();
        var leaf = level == 3 ? Descriptor.Page(0x1_4000_0000, 0b00) : Descriptor.Block(0x1_4000_0000, 0b00);
        f.Map(f.Root0, Va, level, leaf);
        f.Enable(tcr: Tcr.Create(ips: 0));
        AssertFault(f, Va, FaultKind.AddressSize.ToStatus(level));
    }

    [Fact]
    public void Ips_is_capped_by_parange()
    {
        // PARange 40 bits, IPS says 48: an output address at bit 40 is still out of range.
        var f = new MmuFixture(paBits: 40);
        f.Map(f.Root0, Va, 3, Descriptor.Page(0x100_0000_0000, 0b00));
        f.Enable(tcr: Tcr.Create(ips: 5));
        AssertFault(f, Va, FaultStatus.AddressSizeL3);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Af_clear_is_an_access_flag_fault_at_the_leaf_level(int level)
    {
        var f = new MmuFixture();
        f.Map(f.Root0, Va, level, LeafAt(level, ap: 0b00, af: false));
        f.Enable();
        AssertFault(f, Va, FaultKind.AccessFlag.ToStatus(level));
    }

    [Fact]
    public void Hardware_access_flag_sets_af_in_memory_and_translates()
    {
        var f = new MmuFixture();
        ulong slot = f.Map(f.Root0, Va, 3, Descriptor.Page(Data, 0b00, af: false));
        f.Enable(tcr: Tcr.Create(ha: true));
        Assert.True(f.Cpu.TryRead64(Va, out _));
        Assert.True(new Descriptor(f.Machine.Memory.Read64(slot)).Af);
        f.AssertCoherent();
    }

    [Fact]
    public void Hardware_dirty_state_clears_ap2_on_the_first_write_of_a_dbm_page()
    {
        var f = new MmuFixture();
        ulong slot = f.Map(f.Root0, Va, 3, Descriptor.Page(Data, 0b10, dbm: true)); // read-only, writable-clean
        f.Enable(tcr: Tcr.Create(ha: true, hd: true));
        Assert.True(f.Cpu.TryRead64(Va, out _));                  // read: stays clean
        Assert.Equal(0b10, new Descriptor(f.Machine.Memory.Read64(slot)).Ap);
        Assert.True(f.Cpu.TryWrite64(Va, 5));                     // write: hardware marks it dirty
        Assert.Equal(0b00, new Descriptor(f.Machine.Memory.Read64(slot)).Ap);
        Assert.Equal(5UL, f.Machine.Memory.Read64(Data));
        f.AssertCoherent();
        // Without HD the same write is a permission fault.
        var g = new MmuFixture();
        g.Map(g.Root0, Va, 3, Descriptor.Page(Data, 0b10, dbm: true));
        g.Enable(tcr: Tcr.Create(ha: true));
        Assert.False(g.Cpu.TryWrite64(Va, 5));
        Assert.Equal(Esr.DataAbort(false, FaultStatus.PermissionL3, write: true), g.Cpu.Esr);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Denied_access_is_a_permission_fault_at_the_leaf_level(int level)
    {
        var f = new MmuFixture();
        f.Map(f.Root0, Va, level, LeafAt(level, ap: 0b10)); // read-only
        f.Enable();
        var status = FaultKind.Permission.ToStatus(level);
        Assert.Equal(Par.Fault(status), f.Cpu.At(AtOp.S1E1W, Va));
        Assert.False(f.Cpu.TryWrite64(Va, 1));
        Assert.Equal(Esr.DataAbort(false, status, write: true), f.Cpu.Esr);
        Assert.True(f.Cpu.TryRead64(Va, out _));
        f.AssertCoherent();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Descriptor_read_outside_ram_is_an_external_abort_on_the_walk_at_that_level(int level)
    {
        var f = new MmuFixture();
        f.Map(f.Root0, Va, 3, Descriptor.Page(Data, 0b00));
        ulong outside = 0x10_0000_0000; // in the 48-bit PA space, not RAM
        if (level > 0) f.Machine.Memory.Write64(f.Slot(f.Root0, Va, level - 1), Descriptor.Table(outside).Value);
        f.Enable();
        if (level == 0) f.Cpu.Msr(SysReg.Ttbr0El1, outside);
        var status = FaultKind.ExternalAbortOnWalk.ToStatus(level);
        Assert.False(f.Cpu.TryRead64(Va, out _));
        Assert.Equal(Esr.DataAbort(false, status, write: false), f.Cpu.Esr);
        Assert.Equal(Va, f.Cpu.Far);
        // AT does not report it in PAR_EL1: it takes a Data Abort with CM = 1 and WnR = 1 and leaves PAR alone.
        f.Cpu.Msr(SysReg.ParEl1, 0xABC);
        f.Cpu.Execute(A64.At(AtOp.S1E0R), Va);
        Assert.Equal(0xABCUL, f.Cpu.Par.Value);
        Assert.Equal(Esr.DataAbort(false, status, write: true, cacheMaintenance: true), f.Cpu.Esr);
        f.AssertCoherent();
    }

    [Fact]
    public void Output_address_outside_ram_translates_but_the_access_is_an_external_abort()
    {
        var f = new MmuFixture();
        f.Map(f.Root0, Va, 3, Descriptor.Page(0x10_0000_0000, 0b00));
        f.Enable();
        Assert.Equal(Par.Success(0x10_0000_0000, 0xFF, 0b11), f.Cpu.At(AtOp.S1E1R, Va)); // AT never reads the output
        Assert.False(f.Cpu.TryRead64(Va, out _));
        Assert.Equal(Esr.DataAbort(false, FaultStatus.ExternalAbort, write: false), f.Cpu.Esr);
        f.AssertCoherent();
    }

    [Fact]
    public void Alignment_faults_with_sctlr_a_and_on_device_memory()
    {
        var f = new MmuFixture();
        f.Map(f.Root0, Va, 3, Descriptor.Page(Data, 0b00));
        f.Map(f.Root0, Va + 0x1000, 3, Descriptor.Page(Data + 0x1000, 0b00, attrIndx: 2)); // Device-nGnRE
        f.Enable();
        Assert.True(f.Cpu.TryRead(Va + 1, 4, out _));               // Normal memory: unaligned is fine
        Assert.False(f.Cpu.TryRead(Va + 0x1001, 4, out _));         // Device: always an alignment fault
        Assert.Equal(Esr.DataAbort(false, FaultStatus.Alignment, false), f.Cpu.Esr);
        f.Enable(sctlr: Sctlr.MBit | Sctlr.ABit);
        Assert.False(f.Cpu.TryRead(Va + 2, 4, out _));
        Assert.Equal(Esr.DataAbort(false, FaultStatus.Alignment, false), f.Cpu.Esr);
        Assert.Equal(Va + 2, f.Cpu.Far);
        Assert.True(f.Cpu.TryRead(Va + 4, 4, out _));
        f.AssertCoherent();
    }

    [Fact]
    public void An_access_across_a_page_boundary_translates_both_pages()
    {
        var f = new MmuFixture();
        f.Map(f.Root0, Va, 3, Descriptor.Page(Data, 0b00));
        f.Map(f.Root0, Va + 0x1000, 3, Descriptor.Page(Data + 0x5000, 0b00));
        f.Enable();
        Assert.True(f.Cpu.TryWrite(Va + 0xFFC, 8, 0x8877_6655_4433_2211));
        Assert.Equal(0x4433_2211UL, f.Machine.Memory.Read64(Data + 0xFF8) >> 32);
        Assert.Equal(0x8877_6655UL, f.Machine.Memory.Read64(Data + 0x5000) & 0xFFFF_FFFF);
        Assert.True(f.Cpu.TryRead(Va + 0xFFC, 8, out ulong v));
        Assert.Equal(0x8877_6655_4433_2211UL, v);
        Assert.False(f.Cpu.TryRead(Va + 0x1FFC, 8, out _));          // second page unmapped
        Assert.Equal(Va + 0x2000, f.Cpu.Far);
        f.AssertCoherent();
    }

    [Fact]
    public void Faults_from_el0_report_the_lower_el_classes()
    {
        var f = new MmuFixture();
        f.Map(f.Root0, Va, 3, Descriptor.Page(Data, 0b11, ng: true, pxn: true, uxn: true)); // user read-only, no exec
        f.Enable();
        f.Cpu.EnterUser(0x40_0000);
        Assert.False(f.Cpu.TryWrite64(Va, 1));
        Assert.Equal(0x9200_004FUL, f.Cpu.Esr.Value);
        Assert.Equal(1, f.Cpu.El);
        Assert.Equal(0x40_0000UL, f.Cpu.Elr);
        f.Cpu.EnterUser(0x40_0004);
        Assert.False(f.Cpu.TryFetch(Va));
        Assert.Equal(0x8200_000FUL, f.Cpu.Esr.Value);
        f.Cpu.EnterUser(0x40_0008);
        Assert.False(f.Cpu.TryRead64(Va + 0x20_0000, out _));
        Assert.Equal(0x9200_0006UL, f.Cpu.Esr.Value); // translation fault level 2 (no L3 table there)
        f.AssertCoherent();
    }
}
