using MiniBSD.Hal.Registers;
using MiniBSD.Hal.Tlb;
using MiniBSD.Kernel.Arch.Arm64;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Tests.Kernel;

/// <summary>ASIDs: never 0, unique within a generation, rollover with the invalidation it needs, reuse after free.</summary>
public sealed class PmapAsidTests
{
    [Theory]
    [InlineData(16, 65536)]
    [InlineData(8, 256)]
    public void The_asid_space_follows_id_aa64mmfr0(int bits, int count)
    {
        var k = new KernelFixture(cpus: 1, asidBits: bits);
        Assert.Equal(count, k.Pmaps.Asids.Count);
        Assert.Equal(PmapAsid.GenerationStep, k.Pmaps.Asids.Generation);
    }

    [Fact]
    public void With_pairs_each_pmap_gets_an_even_asid_runs_user_mode_on_the_odd_one_and_frees_both()
    {
        var k = new KernelFixture(cpus: 1);
        k.Pmaps.AsidPair = true;
        var cpu = k.Cpu();
        var pmaps = Enumerable.Range(0, 3).Select(_ => k.Pmaps.PmapCreate(cpu)!).ToList();
        foreach (var pm in pmaps)
        {
            k.Pmaps.PmapActivate(cpu, pm);
            Assert.Equal(pm.AsidNumber, cpu.CurrentAsid);                          // the kernel's ASID of the pair
            k.Pmaps.UserAsid(cpu);
            Assert.Equal(pm.AsidNumber | PmapAsid.AsidUser, cpu.CurrentAsid);      // ASID_USER for EL0
            k.Pmaps.KernelAsid(cpu);
            Assert.Equal(pm.AsidNumber, cpu.CurrentAsid);
            k.Pmaps.PmapDeactivate(cpu, pm);
        }
        Assert.Equal([2, 4, 6], pmaps.Select(p => (int)p.AsidNumber));             // 0 and 1 are the kernel's pair
        Assert.Equal(3, k.Pmaps.Asids.InUse / 2);
        long aside = k.Machine.TotalCounters().Tlbi(TlbiOp.Aside1Is);
        k.Pmaps.PmapDestroy(cpu, pmaps[1]);
        Assert.Equal(2, k.Machine.TotalCounters().Tlbi(TlbiOp.Aside1Is) - aside);  // pmap_free_asid: both of the pair
        var again = k.Pmaps.PmapCreate(cpu)!;
        k.Pmaps.PmapActivate(cpu, again);
        Assert.Equal(8, again.AsidNumber);                                          // the cursor goes on, pairs only
        k.Pmaps.PmapDeactivate(cpu, again);
        foreach (var pm in pmaps.Append(again).Where(p => !p.Destroyed)) k.Pmaps.PmapDestroy(cpu, pm);
        Assert.Equal(0, k.Pmaps.Asids.InUse);
        k.AssertCleanAndNoLeaks();
    }

    [Fact]
    public void With_pairs_a_small_asid_space_rolls_over_in_pairs_keeping_the_loaded_ones()
    {
        var k = new KernelFixture(cpus: 2, asidLimit: 8);   // pairs 2, 4, 6
        k.Pmaps.AsidPair = true;
        Assert.Equal(3, k.Pmaps.Asids.Capacity);
        var (a, b) = (k.Cpu(0), k.Cpu(1));
        var loaded = k.Pmaps.PmapCreate(b)!;
        k.Pmaps.PmapActivate(b, loaded);                    // stays loaded on cpu1 through the rollover
        int kept = loaded.AsidNumber;
        var others = new List<MiniBSD.Kernel.Arch.Arm64.Arm64Pmap>();
        for (int i = 0; i < 4; i++)   // alive all along: the third needs a rollover
        {
            var pm = k.Pmaps.PmapCreate(a)!;
            k.Pmaps.PmapActivate(a, pm);
            Assert.True(pm.AsidNumber % 2 == 0 && pm.AsidNumber >= 2 && pm.AsidNumber < 8, $"ASID {pm.AsidNumber}");
            Assert.NotEqual(kept, pm.AsidNumber);             // the pair loaded on cpu1 is never handed out again
            k.Pmaps.PmapDeactivate(a, pm);
            others.Add(pm);
        }
        Assert.Equal(1, k.Pmaps.Asids.Rollovers);
        Assert.Equal((k.Pmaps.Asids.Generation, kept), (loaded.Asid & ~(PmapAsid.GenerationStep - 1), (int)loaded.AsidNumber));   // restamped
        Assert.Empty(k.Machine.Checker.Violations);
        foreach (var pm in others) k.Pmaps.PmapDestroy(a, pm);
        k.Pmaps.PmapDeactivate(b, loaded);
        k.Pmaps.PmapDestroy(b, loaded);
        k.AssertCleanAndNoLeaks();
    }

    [Fact]
    public void Each_activation_gets_a_distinct_nonzero_asid_and_a_destroyed_pmap_gives_its_asid_back()
    {
        var k = new KernelFixture(cpus: 1);
        var cpu = k.Cpu();
        var pmaps = Enumerable.Range(0, 5).Select(_ => k.Pmaps.PmapCreate(cpu)!).ToList();
        foreach (var pm in pmaps)
        {
            k.Pmaps.PmapActivate(cpu, pm);
            Assert.Equal(pm.AsidNumber, cpu.CurrentAsid);
            k.Pmaps.PmapDeactivate(cpu, pm);
        }
        Assert.Equal([1, 2, 3, 4, 5], pmaps.Select(p => (int)p.AsidNumber));
        long aside = k.Machine.TotalCounters().Tlbi(TlbiOp.Aside1Is);
        k.Pmaps.PmapDestroy(cpu, pmaps[1]);
        Assert.Equal(1, k.Machine.TotalCounters().Tlbi(TlbiOp.Aside1Is) - aside); // pmap_free_asid invalidates it
        Assert.Equal(4, k.Pmaps.Asids.InUse);
        foreach (var pm in pmaps.Where(p => !p.Destroyed)) k.Pmaps.PmapDestroy(cpu, pm);
        Assert.Equal(0, k.Pmaps.Asids.InUse);
        k.AssertCleanAndNoLeaks();
    }

    /// <summary>Creates pmaps, each with one thread, and one mapped frame holding its index.</summary>
    private static List<(Pmap Pm, ulong Frame)> Spaces(KernelFixture k, int count)
    {
        var list = new List<(Pmap, ulong)>();
        for (int i = 0; i < count; i++)
        {
            var pm = k.Pmaps.PmapCreate(k.Cpu())!;
            ulong frame = k.Anon();
            k.Machine.Memory.Write64(frame, (ulong)i);
            Assert.True(k.Pmaps.PmapEnter(k.Cpu(), pm, 0x40_0000, frame, VmProt.ReadWrite));
            k.Pmaps.PmapActivate(k.Cpu(), pm, curproc: false);
            list.Add((pm, frame));
        }
        return list;
    }

    /// <summary>Each space's thread exits on cpu0; everything is freed.</summary>
    private static void ExitAll(KernelFixture k, List<(Pmap Pm, ulong Frame)> spaces)
    {
        foreach (var cpu in k.Machine.Cpus) k.Pmaps.PmapSetTtb(cpu, k.Pmaps.Kernel);
        foreach (var (pm, frame) in spaces)
        {
            k.Pmaps.PmapSetTtb(k.Cpu(), pm);
            k.Pmaps.PmapDeactivate(k.Cpu(), pm);
            k.Pmaps.PmapRemove(k.Cpu(), pm, 0x40_0000, 0x40_1000);
            k.Pages.Free(k.Cpu(), frame);
            k.Pmaps.PmapDestroy(k.Cpu(), pm);
        }
        k.AssertCleanAndNoLeaks();
    }

    [Fact]
    public void Exhaustion_rolls_over_keeping_loaded_asids_and_flushing_every_tlb()
    {
        // Four ASID numbers: 0 for the kernel and 1-3 for users.
        var k = new KernelFixture(cpus: 2, asidLimit: 4);
        var (cpu0, cpu1) = (k.Cpu(0), k.Cpu(1));
        var spaces = Spaces(k, 5);
        var pms = spaces.Select(s => (Arm64Pmap)s.Pm).ToList();
        k.Pmaps.PmapSetTtb(cpu1, pms[0]);                                  // stays loaded on cpu1 through the rollover
        Assert.True(KernelFixture.UserRead(cpu1, 0x40_0000, out ulong v) && v == 0);
        for (int i = 1; i < 3; i++)
        {
            k.Pmaps.PmapSetTtb(cpu0, pms[i]);
            Assert.True(KernelFixture.UserRead(cpu0, 0x40_0000, out v) && v == (ulong)i);
        }
        Assert.Equal([1, 2, 3], pms.Take(3).Select(p => (int)p.AsidNumber));
        long vmalle = k.Machine.TotalCounters().Tlbi(TlbiOp.Vmalle1Is);
        k.Pmaps.PmapSetTtb(cpu0, pms[3]);                                  // no number left: rollover
        Assert.Equal(1, k.Pmaps.Asids.Rollovers);
        Assert.Equal(1, k.Machine.TotalCounters().Tlbi(TlbiOp.Vmalle1Is) - vmalle);
        Assert.Equal(2 * PmapAsid.GenerationStep, k.Pmaps.Asids.Generation);
        Assert.True(k.Pmaps.Asids.IsCurrent(pms[0].Asid));                 // loaded on cpu1: restamped, same number
        Assert.Equal(1, pms[0].AsidNumber);
        Assert.False(k.Pmaps.Asids.IsCurrent(pms[2].Asid));                // was leaving cpu0: not kept
        Assert.False(k.Pmaps.Asids.IsCurrent(pms[1].Asid));                // stale: renumbered when it next runs
        Assert.True(KernelFixture.UserRead(cpu0, 0x40_0000, out v) && v == 3);
        k.Pmaps.PmapSetTtb(cpu0, pms[1]);
        Assert.True(k.Pmaps.Asids.IsCurrent(pms[1].Asid));
        Assert.True(KernelFixture.UserRead(cpu0, 0x40_0000, out v) && v == 1);
        Assert.True(KernelFixture.UserRead(cpu1, 0x40_0000, out v) && v == 0);
        ExitAll(k, spaces);                                                // rule 3 stayed silent at every hand-out
    }

    [Fact]
    public void Many_address_spaces_cycling_through_a_tiny_asid_space_stay_isolated()
    {
        var k = new KernelFixture(cpus: 2, asidLimit: 3);
        var spaces = Spaces(k, 12);
        for (int round = 0; round < 3; round++)
            for (int i = 0; i < spaces.Count; i++)
            {
                var cpu = k.Cpu(i % 2);
                foreach (var other in k.Machine.Cpus)
                    if (other != cpu && k.Pmaps.CurrentPmap(other) == spaces[i].Pm) k.Pmaps.PmapSetTtb(other, k.Pmaps.Kernel);
                k.Pmaps.PmapSetTtb(cpu, spaces[i].Pm);
                Assert.True(KernelFixture.UserRead(cpu, 0x40_0000, out ulong v));
                Assert.Equal((ulong)i, v);                                 // never another space's page
            }
        Assert.True(k.Pmaps.Asids.Rollovers > 5);
        ExitAll(k, spaces);
    }
}
