using MiniBSD.Hal;
using MiniBSD.Hal.X86;
using MiniBSD.Kernel.Arch.Arm64;
using MiniBSD.Kernel.Uvm;
using Amd64 = MiniBSD.Kernel.Arch.Amd64;

namespace MiniBSD.Tests.Kernel;

/// <summary>
/// pmap_remove over ranges far larger than what is mapped (the purge-remove-all exit path removes the whole user
/// space): the lookups under absent entries are charged, not made one by one, and the charge is exactly the literal
/// loop's, cycles and counters, on ranges small enough to run literally. Mappings are placed so every case of the
/// walk occurs: pages in one table, tables emptied and freed (amd64), absent tables at each level.
/// </summary>
public sealed class RemoveAllTests
{
    private static readonly ulong[] Vas = [0x40_0000, 0x40_1000, 0x41_3000, 0x7FF000, 0x4000_0000, 0x4020_0000, 0x1_8000_0000];

    private static (long Cycles, long Hits, long Misses, long Walks, int Removed, long Tlbis) Arm64Remove(PmapRemoveWalk walk, ulong eva, bool active)
    {
        var k = new KernelFixture(cpus: 2);
        var pm = k.Pmaps.PmapCreate(k.Cpu())!;
        if (active) k.Pmaps.PmapActivate(k.Cpu(), pm);
        var frames = Vas.Select(va => (va, pa: k.Anon())).ToList();
        foreach (var (va, pa) in frames) Assert.True(k.Pmaps.PmapEnter(k.Cpu(), pm, va, pa, VmProt.Read));
        k.Pmaps.RemoveWalk = walk;
        var c = k.Cpu();
        var (clock, hits, misses, walks, tlbis) = (c.Clock, c.Counters.TlbHits, c.Counters.TlbMisses, c.Counters.Walks, c.Counters.Tlbi(MiniBSD.Hal.Tlb.TlbiOp.Vae1Is));
        int removed = k.Pmaps.PmapRemove(c, pm, 0, eva);
        var result = (c.Clock - clock, c.Counters.TlbHits - hits, c.Counters.TlbMisses - misses, c.Counters.Walks - walks, removed, c.Counters.Tlbi(MiniBSD.Hal.Tlb.TlbiOp.Vae1Is) - tlbis);
        k.Pmaps.RemoveWalk = PmapRemoveWalk.SkipAbsent;
        k.Pmaps.PmapRemove(c, pm, eva, VmParam.VmMaxUserAddress);   // what the range left
        foreach (var (_, pa) in frames) k.Pages.Free(c, pa);
        if (active) k.Pmaps.PmapDeactivate(c, pm);
        k.Pmaps.PmapDestroy(c, pm);
        k.AssertCleanAndNoLeaks();
        return result;
    }

    [Theory]
    [InlineData(0x2_0000_0000UL, false)]   // 8 GiB: 2^21 lookups, absent L2 and L3 tables on the way (and 0x1_8000_0000 mapped)
    [InlineData(0x2_0000_0000UL, true)]    // the pmap loaded: a TLBI for each page it had
    [InlineData(0x80_0000UL, true)]        // a range that ends inside a table
    public void Arm64_charges_exactly_what_a_lookup_for_every_page_costs(ulong eva, bool active)
    {
        var literal = Arm64Remove(PmapRemoveWalk.PageByPageLiteral, eva, active);
        var charged = Arm64Remove(PmapRemoveWalk.PageByPage, eva, active);
        Assert.Equal(literal, charged);
        Assert.Equal(Vas.Count(va => va < eva), charged.Removed);
        Assert.True(charged.Hits >= (long)(eva >> 12), $"{charged.Hits} loads for {eva >> 12} pages");   // one at least a page
    }

    [Fact]
    public void Arm64_removes_a_whole_39_bit_user_space_in_host_time_that_does_not_grow_with_it()
    {
        Assert.Equal((1UL << 39) - 0x8000, VmParam.VmMaxUserAddress);
        var r = Arm64Remove(PmapRemoveWalk.PageByPage, VmParam.VmMaxUserAddress, active: true);
        Assert.Equal(Vas.Length, r.Removed);
        Assert.True(r.Hits >= (long)(VmParam.VmMaxUserAddress >> 12), $"{r.Hits} loads");   // 2^27 pages, a lookup each
    }

    private static (long Cycles, long Hits, long Misses, int Removed, long Invpcid) Amd64Remove(bool literal, ulong eva)
    {
        var m = new Machine(new MachineConfig { Arch = Arch.Amd64, Cpus = 2, MemoryBytes = 64 * MachineConfig.MiB, CheckCoherence = true });
        var boot = Amd64.Locore.Start(m);
        var pages = new UvmPage(m, boot.FirstFree);
        var pmaps = new Amd64.PmapSystem(m, boot, pages) { LiteralBlockLoop = literal };
        var c = m.Cpus[0];
        var pm = pmaps.PmapCreate(c)!;
        pmaps.PmapActivate(c, pm);
        var frames = new List<ulong>();
        foreach (ulong va in Vas)
        {
            Assert.True(pages.TryAlloc(c, PageUse.Anon, zero: true, out ulong pa));
            frames.Add(pa);
            Assert.True(pmaps.PmapEnter(c, pm, va, pa, VmProt.ReadWrite));
        }
        var (clock, hits, misses, inv) = (c.Clock, c.Counters.TlbHits, c.Counters.TlbMisses, c.Counters.X86Invalidations(MiniBSD.Hal.Tlb.X86Flush.InvpcidSingle));
        int removed = pmaps.PmapRemove(c, pm, 0, eva);
        var result = (c.Clock - clock, c.Counters.TlbHits - hits, c.Counters.TlbMisses - misses, removed, c.Counters.X86Invalidations(MiniBSD.Hal.Tlb.X86Flush.InvpcidSingle) - inv);
        pmaps.LiteralBlockLoop = false;
        pmaps.PmapRemove(c, pm, eva, Amd64.VmParam.VmMaxUserAddress);   // what the range left
        foreach (ulong pa in frames) pages.Free(c, pa);
        pmaps.PmapDeactivate(c, pm);
        pmaps.PmapSwitch(c, pmaps.Kernel);
        pmaps.PmapDestroy(c, pm);
        Assert.Empty(m.Checker.Violations);
        Assert.Equal(0, pages.Count(PageUse.Anon));
        return result;
    }

    [Theory]
    [InlineData(0x100_0000_0000UL)]   // 1 TiB: 2^19 blocks of 2 MiB, PML4 slots 0 and 1
    [InlineData(0x4040_0000UL)]       // ends inside a page directory
    public void Amd64_charges_exactly_what_a_pdes_valid_for_every_2_MiB_block_costs(ulong eva)
    {
        var literal = Amd64Remove(literal: true, eva);
        var charged = Amd64Remove(literal: false, eva);
        Assert.Equal(literal, charged);
        Assert.Equal(Vas.Count(va => va < eva), charged.Removed);
        Assert.Equal(1, charged.Invpcid);   // more than 32 pages: one PCID flush for the range
    }
}
