using MiniBSD.Hal;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Registers;
using MiniBSD.Hal.Tlb;

namespace MiniBSD.Tests.Hal;

/// <summary>A MemoryPort does what the CPU's own loads and stores do, and charges the same cycles and counts.</summary>
public sealed class MemoryPortTests
{
    private const ulong Va = 0x0000_0000_0040_0000;

    private static MmuFixture Fixture()
    {
        var f = new MmuFixture();
        f.Machine.Checker.Enabled = false; // the micro-TLB is only used with the checker off
        for (ulong i = 0; i < 4; i++) f.Map(f.Root0, Va + i * 0x1000, 3, Descriptor.Page(0x4200_0000 + i * 0x1000, i == 3 ? 0b10 : 0b00));
        f.Enable();
        return f;
    }

    /// <summary>Stores and loads over three pages, a permission fault and a translation fault, directly or through a port.</summary>
    private static void Work(Cpu cpu, bool usePort)
    {
        var port = cpu.OpenMemoryPort();
        for (ulong i = 0; i < 300; i++)
        {
            ulong va = Va + (i % 512) * 8 + (i % 3) * 0x1000;
            Assert.True(usePort ? port.TryWrite64(va, i) : cpu.TryWrite64(va, i));
            Assert.True(usePort ? port.TryRead64(va, out ulong v) : cpu.TryRead64(va, out v));
            Assert.Equal(i, v);
        }
        Assert.False(usePort ? port.TryWrite64(Va + 0x3000, 1) : cpu.TryWrite64(Va + 0x3000, 1)); // read-only page
        Assert.Equal(Esr.DataAbort(false, FaultStatus.PermissionL3, true), cpu.Esr);
        Assert.False(usePort ? port.TryRead64(Va + 0x4000, out _) : cpu.TryRead64(Va + 0x4000, out _)); // unmapped
        port.Dispose();
    }

    [Fact]
    public void Port_and_cpu_accesses_give_the_same_results_clock_and_counters()
    {
        var direct = Fixture();
        Work(direct.Cpu, usePort: false);
        var ported = Fixture();
        Work(ported.Cpu, usePort: true);
        Assert.Equal(direct.Cpu.Clock, ported.Cpu.Clock);
        Assert.Equal(direct.Cpu.Counters.Format(), ported.Cpu.Counters.Format());
        Assert.True(ported.Cpu.Counters.TlbHits > 500);
    }

    [Fact]
    public void A_tlbi_between_port_accesses_is_seen_at_once()
    {
        var f = Fixture();
        using var port = f.Cpu.OpenMemoryPort();
        Assert.True(port.TryRead64(Va, out _));
        Assert.True(port.TryRead64(Va + 8, out _));
        f.Machine.Memory.Write64(f.Slot(f.Root0, Va, 3), 0);         // unmap, then invalidate
        f.Cpu.Tlbi(TlbiOp.Vale1, TlbiOpExtensions.Operand(Va, 1));
        Assert.False(port.TryRead64(Va, out _));
        Assert.Equal(FaultStatus.TranslationL3, f.Cpu.Esr.FaultStatus);
    }

    [Fact]
    public void A_tlb_eviction_forgets_the_micro_tlb_copy_so_the_next_access_walks_again()
    {
        var f = new MmuFixture(tlb: new TlbGeometry(PageSets: 1, PageWays: 1));
        f.Machine.Checker.Enabled = false;
        ulong a = Va, b = Va + 0x1000;
        ulong slotA = f.Map(f.Root0, a, 3, Descriptor.Page(0x4200_0000, 0b00));
        f.Map(f.Root0, b, 3, Descriptor.Page(0x4200_1000, 0b00));
        f.Enable();
        f.Machine.Memory.Write64(0x4200_0000, 1);
        f.Machine.Memory.Write64(0x4200_5000, 2);
        Assert.True(f.Cpu.TryRead64(a, out ulong v) && v == 1);   // A cached in the TLB and the micro-TLB
        Assert.True(f.Cpu.TryRead64(b, out _));                   // B evicts A from the one-entry TLB
        f.Machine.Memory.Write64(slotA, Descriptor.Page(0x4200_5000, 0b00).Value); // A is in no TLB: no TLBI needed
        Assert.True(f.Cpu.TryRead64(a, out v));
        Assert.Equal(2UL, v);
        Assert.Equal(3, f.Cpu.Counters.TlbMisses);
    }

    [Fact]
    public void An_mmu_register_write_forgets_micro_tlb_copies_but_not_tlb_entries()
    {
        var f = Fixture();
        Assert.True(f.Cpu.TryRead64(Va, out _));
        f.Cpu.Msr(MiniBSD.Hal.Isa.SysReg.Ttbr0El1, Ttbr.Create(f.NewTable(), 1).Value); // same ASID, empty tables
        Assert.True(f.Cpu.TryRead64(Va, out _));                                        // the TLB entry remains (no TLBI)
        f.Cpu.Tlbi(TlbiOp.Vmalle1);
        Assert.False(f.Cpu.TryRead64(Va, out _));
    }

    [Fact]
    public void The_micro_TLB_starts_empty_and_a_clear_forgets_every_filled_slot()
    {
        var f = Fixture();
        var cpu = f.Machine.Cpus[0];
        // Page 0 is unmapped: a fresh micro-TLB must not claim it (its zeroed slots have tag 0).
        Assert.False(cpu.TryRead64(0, out _));
        Assert.Equal(Esr.DataAbort(false, FaultStatus.TranslationL2, false), cpu.Esr);
        Assert.True(cpu.TryWrite64(Va, 7));   // fills a slot
        cpu.ClearMicroTlb();
        f.Map(f.Root0, Va, 3, Descriptor.Invalid);   // without a TLBI the TLB still maps it; the micro-TLB must not
        cpu.Tlbi(TlbiOp.Vmalle1);
        Assert.False(cpu.TryRead64(Va, out _));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_run_of_loads_gives_what_the_loads_one_by_one_give_clock_and_counters_included(bool checker)
    {
        (ulong[] Values, long Clock, string Counters) Read(bool run)
        {
            var f = Fixture();
            f.Machine.Checker.Enabled = checker;   // with the checker on, no load is cached: the run goes one by one
            for (ulong i = 0; i < 512; i++) f.Machine.Memory.Write64(0x4200_1000 + i * 8, i * 3 + 1);
            var values = new ulong[100];
            using (var port = f.Cpu.OpenMemoryPort())
            {
                if (run) Assert.True(port.TryRead64Run(Va + 0x1000 + 40 * 8, values));
                else for (int i = 0; i < values.Length; i++) Assert.True(port.TryRead64(Va + 0x1000 + (ulong)(40 + i) * 8, out values[i]));
            }
            return (values, f.Cpu.Clock, f.Cpu.Counters.Format());
        }
        var one = Read(run: false);
        var bulk = Read(run: true);
        Assert.Equal(one.Values, bulk.Values);
        Assert.Equal(121UL, bulk.Values[0]);
        Assert.Equal(one.Clock, bulk.Clock);
        Assert.Equal(one.Counters, bulk.Counters);
    }

    [Fact]
    public void A_run_of_loads_stops_at_a_fault_and_refuses_to_cross_a_page()
    {
        var f = Fixture();
        using var port = f.Cpu.OpenMemoryPort();
        Assert.False(port.TryRead64Run(Va + 0x4000, new ulong[4]));   // unmapped
        Assert.Equal(FaultStatus.TranslationL3, f.Cpu.Esr.FaultStatus);
        try
        {
            port.TryRead64Run(Va + 0xFF8, new ulong[2]);
            Assert.Fail("a run across a page boundary was accepted");
        }
        catch (ArgumentOutOfRangeException) { }
    }
}
