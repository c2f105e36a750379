using MiniBSD.Hal;
using MiniBSD.Hal.Check;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Registers;
using MiniBSD.Hal.Tlb;

namespace MiniBSD.Tests.Hal;

/// <summary>The TLB coherence checker: it fires on each broken rule and stays silent on the correct sequences.</summary>
public sealed class CheckerTests
{
    private const ulong Va = 0x0000_0000_0040_0000;
    private const ulong Data = 0x4200_0000;

    private static (MmuFixture F, ulong Slot) UserPageCachedOnAllCpus(int cpus = 2, ushort asid = 5)
    {
        var f = new MmuFixture(cpus);
        ulong slot = f.Map(f.Root0, Va, 3, Descriptor.Page(Data, 0b01, ng: true));
        foreach (var cpu in f.Machine.Cpus)
        {
            f.Enable(cpu, asid: asid);
            Assert.True(cpu.TryReadUnprivileged(Va, 8, out _));
        }
        return (f, slot);
    }

    [Fact]
    public void Rule_1_fires_on_a_permission_change_without_tlbi()
    {
        var (f, slot) = UserPageCachedOnAllCpus();
        f.Machine.Memory.Write64(slot, Descriptor.Page(Data, 0b11, ng: true).Value); // RW -> RO, TLBI forgotten
        f.Machine.Cpus[1].TryReadUnprivileged(Va, 8, out _);
        var v = Assert.Single(f.Machine.Checker.Violations);
        Assert.Equal(CoherenceRule.StaleHit, v.Rule);
        Assert.Equal(1, v.Cpu);
        Assert.Equal(5, v.Asid);
        Assert.Equal(Descriptor.Page(Data, 0b01, ng: true).Value, v.CachedDescriptor);
        Assert.Equal(Descriptor.Page(Data, 0b11, ng: true).Value, v.CurrentDescriptor);
        Assert.Equal(slot, v.CachedDescriptorAddress);
        Assert.Contains("permissions changed", v.Detail);
    }

    [Fact]
    public void Rule_1_fires_on_a_mair_change_without_tlbi()
    {
        var (f, _) = UserPageCachedOnAllCpus(cpus: 1);
        f.Cpu.Msr(SysReg.MairEl1, 0x44);
        f.Cpu.TryReadUnprivileged(Va, 8, out _);
        Assert.Contains("memory attributes", Assert.Single(f.Machine.Checker.Violations).Detail);
    }

    [Fact]
    public void Break_before_make_is_silent()
    {
        var (f, slot) = UserPageCachedOnAllCpus();
        var cpu = f.Cpu;
        f.Machine.Memory.Write64(slot, 0);
        cpu.Dsb(BarrierOption.Ishst);
        cpu.Tlbi(TlbiOp.Vale1Is, TlbiOpExtensions.Operand(Va, 5));
        cpu.Dsb(BarrierOption.Ish);
        f.Machine.Checker.FrameReleased(Data);
        f.Machine.Memory.Write64(slot, Descriptor.Page(Data + 0x1000, 0b01, ng: true).Value);
        cpu.Dsb(BarrierOption.Ishst);
        foreach (var c in f.Machine.Cpus) Assert.True(c.TryReadUnprivileged(Va, 8, out _));
        f.AssertCoherent();
    }

    [Fact]
    public void Rule_2_fires_when_a_frame_is_freed_while_a_loaded_asid_still_maps_it()
    {
        var (f, slot) = UserPageCachedOnAllCpus();
        f.Machine.Memory.Write64(slot, 0);                 // unmapped, but no TLBI: both CPUs still hold the entry
        f.Machine.Checker.Context = "exit1 pid 42";
        f.Machine.Checker.FrameReleased(Data);
        Assert.Equal(2, f.Machine.Checker.Violations.Count);
        var v = f.Machine.Checker.Violations[0];
        Assert.Equal(CoherenceRule.FreedFrameStillMapped, v.Rule);
        Assert.Equal((0, (ushort)5, Va, Data), (v.Cpu, v.Asid, v.Va, v.Frame));
        Assert.Contains("exit1 pid 42", v.ToString());
        Assert.Contains("cpu0 ASID 0x5 VA 0x400000 frame 0x42000000", v.ToString());
    }

    [Fact]
    public void Rule_2_fires_for_a_global_entry_even_with_no_asid_loaded()
    {
        var f = new MmuFixture();
        f.Map(f.Root1, 0xFFFF_0000_0000_0000, 3, Descriptor.Page(Data, 0b00));
        f.Enable();
        Assert.True(f.Cpu.TryRead64(0xFFFF_0000_0000_0000, out _));
        f.Machine.Checker.FrameReleased(Data);
        Assert.True(Assert.Single(f.Machine.Checker.Violations).Global);
    }

    [Fact]
    public void Teardown_of_a_pmap_no_cpu_has_loaded_then_one_asid_flush_is_silent()
    {
        // The purge order: deactivate on every CPU (TTBR0 -> empty table, ASID 0), free pages with no per-page TLBI,
        // then one TLBI ASIDE1IS before the ASID is handed out again.
        var (f, slot) = UserPageCachedOnAllCpus();
        ulong empty = f.NewTable();
        foreach (var cpu in f.Machine.Cpus)
        {
            cpu.Msr(SysReg.Ttbr0El1, Ttbr.Create(empty, 0).Value);
            cpu.Isb();
        }
        f.Machine.Memory.Write64(slot, 0);
        f.Machine.Checker.FrameReleased(Data);             // entries remain, but ASID 5 is loaded nowhere: harmless
        f.AssertCoherent();
        f.Cpu.Dsb(BarrierOption.Ishst);
        f.Cpu.Tlbi(TlbiOp.Aside1Is, TlbiOpExtensions.Operand(0, 5));
        f.Cpu.Dsb(BarrierOption.Ish);
        f.Machine.Checker.AsidAllocated(5);
        f.AssertCoherent();
    }

    [Fact]
    public void Rule_3_fires_when_an_asid_is_handed_out_with_entries_left()
    {
        var (f, _) = UserPageCachedOnAllCpus(cpus: 3);
        f.Machine.Checker.AsidAllocated(5);
        Assert.Equal(3, f.Machine.Checker.Violations.Count);
        Assert.All(f.Machine.Checker.Violations, v => Assert.Equal(CoherenceRule.AsidReusedWithStaleEntries, v.Rule));
        f.Machine.Checker.Clear();
        f.Machine.Checker.AsidAllocated(6);
        f.AssertCoherent();
    }

    [Fact]
    public void Throw_mode_stops_at_the_first_violation()
    {
        var (f, slot) = UserPageCachedOnAllCpus(cpus: 1);
        f.Machine.Checker.ThrowOnViolation = true;
        f.Machine.Memory.Write64(slot, 0);
        var e = Assert.Throws<CoherenceViolationException>(() => f.Machine.Checker.FrameReleased(Data));
        Assert.Equal(CoherenceRule.FreedFrameStillMapped, e.Violation.Rule);
    }

    [Fact]
    public void A_disabled_checker_records_nothing()
    {
        var (f, slot) = UserPageCachedOnAllCpus(cpus: 1);
        f.Machine.Checker.Enabled = false;
        f.Machine.Memory.Write64(slot, 0);
        f.Machine.Checker.FrameReleased(Data);
        f.Machine.Checker.AsidAllocated(5);
        Assert.True(f.Cpu.TryReadUnprivileged(Va, 8, out _));
        f.AssertCoherent();
    }

    [Fact]
    public void Rule_2_leaves_out_a_declared_permanent_mapping_such_as_a_direct_map()
    {
        var f = new MmuFixture();
        f.Map(f.Root1, 0xFFFF_0000_0000_0000, 3, Descriptor.Page(Data, 0b00));
        f.Map(f.Root1, 0xFFFF_0000_1000_0000, 3, Descriptor.Page(Data, 0b00));
        f.Enable();
        Assert.True(f.Cpu.TryRead64(0xFFFF_0000_0000_0000, out _));
        Assert.True(f.Cpu.TryRead64(0xFFFF_0000_1000_0000, out _));
        f.Machine.Checker.AddPermanentMapping(0xFFFF_0000_0000_0000, 0xFFFF_0000_0100_0000);
        f.Machine.Checker.FrameReleased(Data);
        Assert.Equal(0xFFFF_0000_1000_0000UL, Assert.Single(f.Machine.Checker.Violations).Va);
    }
}
