using MiniBSD.Hal;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Registers;
using MiniBSD.Hal.Tlb;
using MiniBSD.Kernel.Arch.Arm64;
using MiniBSD.Kernel.Kern;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Tests.Kernel;

/// <summary>The arm64 pmap: exact descriptors, TTBR0 values, and the TLB maintenance each operation issues.</summary>
public sealed class PmapTests
{
    private const ulong Va = 0x0000_0000_0040_0000;

    private static long Tlbis(Machine m, TlbiOp op) => m.TotalCounters().Tlbi(op);

    private static (KernelFixture K, Arm64Pmap Pm, List<ulong> Frames) Mapped(int pages, int cpus = 2)
    {
        var k = new KernelFixture(cpus);
        var pm = k.Pmaps.PmapCreate(k.Cpu())!;
        var frames = new List<ulong>();
        for (int i = 0; i < pages; i++)
        {
            frames.Add(k.Anon());
            Assert.True(k.Pmaps.PmapEnter(k.Cpu(), pm, Va + (ulong)i * 0x1000, frames[i], VmProt.ReadWrite));
        }
        return (k, pm, frames);
    }

    /// <summary>Unmaps everything, frees the frames, destroys the pmap, and checks nothing leaked.</summary>
    private static void TearDown(KernelFixture k, Pmap pm, List<ulong> frames, ulong end)
    {
        foreach (var cpu in k.Machine.Cpus)
            if (k.Pmaps.CurrentPmap(cpu) == pm) k.Pmaps.PmapDeactivate(cpu, pm);
        k.Pmaps.PmapRemove(k.Cpu(), pm, Va, end);
        foreach (var f in frames) k.Pages.Free(k.Cpu(), f);
        k.Pmaps.PmapDestroy(k.Cpu(), pm);
        k.AssertCleanAndNoLeaks();
    }

    [Fact]
    public void Enter_builds_four_levels_with_the_exact_user_descriptor()
    {
        var (k, pm, frames) = Mapped(1);
        Assert.Equal(4, pm.TablePages);
        Assert.Equal(4, k.Pages.Count(PageUse.PageTable));
        Assert.True(k.Pmaps.PmapExtract(k.Cpu(), pm, Va + 0x123, out ulong pa));
        Assert.Equal(frames[0] + 0x123, pa);
        Assert.False(k.Pmaps.PmapExtract(k.Cpu(), pm, Va + 0x1000, out _));
        // Walk the tables as the hardware would: AP=01 (EL0 RW), SH=11, AF, nG, PXN, UXN, AttrIndx 0.
        var cpu = k.Cpu();
        k.Pmaps.PmapActivate(cpu, pm);
        var par = cpu.At(MiniBSD.Hal.Isa.AtOp.S1E0W, Va);
        Assert.Equal(Par.Success(frames[0], 0xFF, 0b11), par);
        var walk = TableWalker.Walk(k.Machine.Memory, cpu.Regime, Va, AccessType.Read, new TableWalker.Options(true, false, false));
        Assert.Equal(frames[0] | 0x0060_0000_0000_0F43UL, walk.Descriptor);
        TearDown(k, pm, frames, Va + 0x1000);
    }

    [Fact]
    public void Activate_loads_asid_and_table_in_one_ttbr0_write_and_deactivate_loads_the_empty_table()
    {
        var (k, pm, frames) = Mapped(1);
        var other = k.Pmaps.PmapCreate(k.Cpu())!;
        k.Pmaps.PmapActivate(k.Cpu(0), pm);
        k.Pmaps.PmapActivate(k.Cpu(1), other);
        Assert.Equal(Ttbr.Create(pm.L0, 1), k.Cpu(0).Ttbr0);
        Assert.Equal(Ttbr.Create(other.L0, 2), k.Cpu(1).Ttbr0);
        Assert.Equal((1, 1), (pm.Active, other.Active));
        Assert.Same(pm, k.Pmaps.CurrentPmap(k.Cpu(0)));
        Assert.True(KernelFixture.UserWrite(k.Cpu(0), Va, 42));
        Assert.True(KernelFixture.UserRead(k.Cpu(0), Va, out ulong v) && v == 42);
        Assert.False(KernelFixture.UserRead(k.Cpu(1), Va, out _));   // not mapped in the other address space
        Assert.Equal(FaultStatus.TranslationL0, k.Cpu(1).Esr.FaultStatus);
        k.Pmaps.PmapDeactivate(k.Cpu(1), other);
        Assert.Equal(Ttbr.Create(k.Boot.EmptyL0, 0), k.Cpu(1).Ttbr0);
        Assert.Equal(0, other.Active);
        k.Pmaps.PmapDeactivate(k.Cpu(1), other);                     // a no-op now
        Assert.Equal(0, other.Active);
        k.Pmaps.PmapDestroy(k.Cpu(), other);
        TearDown(k, pm, frames, Va + 0x1000);
    }

    [Fact]
    public void Remapping_a_live_page_is_break_before_make_with_one_invalidation()
    {
        var (k, pm, frames) = Mapped(1);
        var cpu = k.Cpu();
        k.Pmaps.PmapActivate(cpu, pm);
        Assert.True(KernelFixture.UserRead(cpu, Va, out _));           // cached in the TLB
        ulong fresh = k.Anon();
        k.Machine.Memory.Write64(fresh, 99);
        long before = Tlbis(k.Machine, TlbiOp.Vae1Is);
        Assert.True(k.Pmaps.PmapEnter(cpu, pm, Va, fresh, VmProt.ReadWrite));
        Assert.Equal(1, Tlbis(k.Machine, TlbiOp.Vae1Is) - before);
        Assert.True(KernelFixture.UserRead(cpu, Va, out ulong v) && v == 99);
        Assert.Equal(1, pm.ResidentCount);
        k.Pages.Free(k.Cpu(), frames[0]);                                      // unmapped by the remap: the checker agrees
        frames[0] = fresh;
        TearDown(k, pm, frames, Va + 0x1000);
    }

    [Fact]
    public void Protect_changes_permissions_with_one_store_and_invalidation_per_page()
    {
        var (k, pm, frames) = Mapped(3);
        var cpu = k.Cpu();
        k.Pmaps.PmapActivate(cpu, pm);
        Assert.True(KernelFixture.UserWrite(cpu, Va + 0x1000, 1));
        long before = Tlbis(k.Machine, TlbiOp.Vae1Is);
        k.Pmaps.PmapProtect(cpu, pm, Va, Va + 0x3000, VmProt.Read);
        Assert.Equal(3, Tlbis(k.Machine, TlbiOp.Vae1Is) - before);
        Assert.False(KernelFixture.UserWrite(cpu, Va + 0x1000, 2));
        Assert.Equal(Esr.DataAbort(true, FaultStatus.PermissionL3, write: true), cpu.Esr);
        Assert.True(KernelFixture.UserRead(cpu, Va + 0x1000, out ulong v) && v == 1);
        k.Pmaps.PmapProtect(cpu, pm, Va, Va + 0x1000, VmProt.None);   // without read: removed
        Assert.Equal(2, pm.ResidentCount);
        TearDown(k, pm, frames, Va + 0x3000);
    }

    [Fact]
    public void Remove_invalidates_each_page_while_active_and_nothing_once_inactive()
    {
        var (k, pm, frames) = Mapped(8);
        var cpu = k.Cpu();
        k.Pmaps.PmapActivate(cpu, pm);
        long before = Tlbis(k.Machine, TlbiOp.Vae1Is);
        Assert.Equal(4, k.Pmaps.PmapRemove(cpu, pm, Va, Va + 0x4000));
        Assert.Equal(4, Tlbis(k.Machine, TlbiOp.Vae1Is) - before);
        k.Pmaps.PmapDeactivate(cpu, pm);
        before = Tlbis(k.Machine, TlbiOp.Vae1Is);
        Assert.Equal(4, k.Pmaps.PmapRemove(cpu, pm, Va + 0x4000, Va + 0x8000));
        Assert.Equal(0, Tlbis(k.Machine, TlbiOp.Vae1Is) - before);
        Assert.Equal(0, pm.ResidentCount);
        TearDown(k, pm, frames, Va + 0x8000);
    }

    [Fact]
    public void Skipping_absent_subtrees_removes_the_same_pages_with_far_fewer_lookups()
    {
        long Accesses(PmapRemoveWalk walk, out int removed)
        {
            var k = new KernelFixture(cpus: 1);
            var pm = k.Pmaps.PmapCreate(k.Cpu())!;
            var frames = new List<ulong>();
            foreach (ulong va in new ulong[] { 0x40_0000, 0x40_1000, 0x4000_0000, 0x7E_0000_0000 })
            {
                frames.Add(k.Anon());
                Assert.True(k.Pmaps.PmapEnter(k.Cpu(), pm, va, frames[^1], VmProt.Read));
            }
            k.Pmaps.RemoveWalk = walk;
            long before = k.Cpu().Counters.Accesses;
            removed = k.Pmaps.PmapRemove(k.Cpu(), pm, 0, 0x100_0000_0000); // 1 TiB: 2^28 pages page by page
            long accesses = k.Cpu().Counters.Accesses - before;
            foreach (var f in frames) k.Pages.Free(k.Cpu(), f);
            k.Pmaps.PmapDestroy(k.Cpu(), pm);
            k.AssertCleanAndNoLeaks();
            return accesses;
        }
        long skipping = Accesses(PmapRemoveWalk.SkipAbsent, out int removedSkipping);
        Assert.Equal(4, removedSkipping);
        Assert.True(skipping < 5000, $"{skipping} table accesses"); // every slot of the 8 present tables, once
        // Page by page over the same 1 TiB would be 2^28 lookups; compare on a 64 MiB span instead.
        var k2 = new KernelFixture(cpus: 1);
        var pm2 = k2.Pmaps.PmapCreate(k2.Cpu())!;
        ulong frame = k2.Anon();
        Assert.True(k2.Pmaps.PmapEnter(k2.Cpu(), pm2, 0x40_0000, frame, VmProt.Read));
        long before = k2.Cpu().Counters.Accesses;
        Assert.Equal(1, k2.Pmaps.PmapRemove(k2.Cpu(), pm2, 0, 0x400_0000));
        long pageByPage = k2.Cpu().Counters.Accesses - before;
        Assert.True(pageByPage >= 0x4000, $"{pageByPage} table accesses for 16384 pages");
        k2.Pages.Free(k2.Cpu(), frame);
        k2.Pmaps.PmapDestroy(k2.Cpu(), pm2);
        k2.AssertCleanAndNoLeaks();
    }

    [Fact]
    public void Purge_then_teardown_costs_one_asid_invalidation_and_is_clean()
    {
        var (k, pm, frames) = Mapped(32);
        var cpu = k.Cpu();
        k.Pmaps.PmapActivate(cpu, pm);
        for (int i = 0; i < 32; i++) Assert.True(KernelFixture.UserWrite(cpu, Va + (ulong)i * 0x1000, (ulong)i));
        long vae = Tlbis(k.Machine, TlbiOp.Vae1Is), aside = Tlbis(k.Machine, TlbiOp.Aside1Is);
        k.Pmaps.PmapPurge(cpu, pm);
        Assert.Equal(Ttbr.Create(k.Boot.EmptyL0, 0), cpu.Ttbr0);
        Assert.Equal(0, pm.Active);
        Assert.Equal(32, k.Pmaps.PmapRemove(cpu, pm, Va, Va + 0x20000));
        foreach (var f in frames) k.Pages.Free(k.Cpu(), f);
        k.Pmaps.PmapDeactivate(cpu, pm);                               // exit1's later pmap_deactivate: a no-op
        Assert.Equal(0, Tlbis(k.Machine, TlbiOp.Vae1Is) - vae);
        Assert.Equal(1, Tlbis(k.Machine, TlbiOp.Aside1Is) - aside);
        k.Pmaps.PmapDestroy(cpu, pm);                                  // pmap_free_asid: the second ASID flush
        Assert.Equal(2, Tlbis(k.Machine, TlbiOp.Aside1Is) - aside);
        k.AssertCleanAndNoLeaks();
    }

    [Fact]
    public void The_same_teardown_without_purge_and_without_invalidations_is_caught()
    {
        var (k, pm, frames) = Mapped(4);
        var cpu = k.Cpu();
        k.Machine.Checker.Context = "exit1 pid 7 (purge-broken)";
        k.Pmaps.PmapActivate(cpu, pm);
        for (int i = 0; i < 4; i++) Assert.True(KernelFixture.UserRead(cpu, Va + (ulong)i * 0x1000, out _));
        k.Pmaps.PmapRemove(cpu, pm, Va, Va + 0x4000, PmapFlush.Never);
        foreach (var f in frames) k.Pages.Free(k.Cpu(), f);
        Assert.Equal(4, k.Machine.Checker.Violations.Count);
        Assert.All(k.Machine.Checker.Violations, v => Assert.Contains("exit1 pid 7", v.ToString()));
        Assert.Equal(frames, k.Machine.Checker.Violations.Select(v => v.Frame));
    }

    [Fact]
    public void Destroy_waits_for_the_last_reference_and_refuses_live_mappings()
    {
        var (k, pm, frames) = Mapped(1);
        k.Pmaps.PmapReference(pm);
        k.Pmaps.PmapRemove(k.Cpu(), pm, Va, Va + 0x1000);
        k.Pmaps.PmapDestroy(k.Cpu(), pm);
        Assert.False(pm.Destroyed);
        k.Pmaps.PmapEnter(k.Cpu(), pm, Va, frames[0], VmProt.Read);
        Assert.StartsWith("panic: pmap_destroy: 1 pages still mapped", Assert.Throws<KernelPanicException>(() => k.Pmaps.PmapDestroy(k.Cpu(), pm)).Message);
        k.Pmaps.PmapRemove(k.Cpu(), pm, Va, Va + 0x1000);
        k.Pages.Free(k.Cpu(), frames[0]);
        k.Pmaps.PmapDestroy(k.Cpu(), pm);
        Assert.True(pm.Destroyed);
        k.AssertCleanAndNoLeaks();
    }

    [Fact]
    public void Enter_fails_with_enomem_when_no_page_is_left_for_a_table()
    {
        var k = new KernelFixture(cpus: 1, memory: 4 * MachineConfig.MiB);
        var pm = k.Pmaps.PmapCreate(k.Cpu())!;
        var hoard = new List<ulong>();
        while (k.Pages.TryAlloc(k.Cpu(), PageUse.Kernel, false, out ulong pa)) hoard.Add(pa);
        Assert.False(k.Pmaps.PmapEnter(k.Cpu(), pm, Va, hoard[0], VmProt.Read));
        foreach (var pa in hoard) k.Pages.Free(k.Cpu(), pa);
        k.Pmaps.PmapDestroy(k.Cpu(), pm);
        k.AssertCleanAndNoLeaks();
    }

    [Fact]
    public void The_kernel_pmap_maps_global_entries_through_ttbr1_and_flushes_all_asids()
    {
        var k = new KernelFixture();
        var cpu = k.Cpu();
        const ulong kva = 0xFFFF_8000_0000_0000;                         // outside the direct map: new TTBR1 tables
        Assert.True(k.Pages.TryAlloc(cpu, PageUse.Kernel, zero: true, out ulong frame));
        k.Machine.Memory.Write64(frame, 0x5EED);
        Assert.True(k.Pmaps.PmapEnter(cpu, k.Pmaps.Kernel, kva, frame, VmProt.ReadWrite));
        Assert.True(cpu.TryRead64(kva, out ulong v) && v == 0x5EED);
        Assert.True(k.Cpu(1).TryRead64(kva, out v) && v == 0x5EED);         // every CPU: global, TTBR1
        Assert.Contains(cpu.Tlb.Entries(), e => e.Global && e.Va == kva);
        Assert.Equal(Par.Fault(FaultStatus.PermissionL3), cpu.At(MiniBSD.Hal.Isa.AtOp.S1E0R, kva));
        long vaale = Tlbis(k.Machine, TlbiOp.Vaale1Is);
        Assert.Equal(1, k.Pmaps.PmapRemove(cpu, k.Pmaps.Kernel, kva, kva + 0x1000));
        Assert.Equal(1, Tlbis(k.Machine, TlbiOp.Vaale1Is) - vaale);
        Assert.DoesNotContain(k.Cpu(1).Tlb.Entries(), e => e.Va == kva);
        k.Pages.Free(k.Cpu(), frame);
        Assert.Empty(k.Machine.Checker.Violations);
        Assert.Equal(3, k.Pages.Count(PageUse.PageTable));                // the kernel keeps its new L1-L3 tables
    }

    [Fact]
    public void Eight_bit_asids_are_used_when_tcr_as_is_clear_even_on_16_bit_hardware()
    {
        var k = new KernelFixture(cpus: 1);
        k.Cpu().Msr(MiniBSD.Hal.Isa.SysReg.TcrEl1, k.Cpu().Tcr.Value & ~(1UL << 36));
        var pmaps = new PmapSystem(k.Machine, k.Boot, k.Pages);
        Assert.Equal(256, pmaps.Asids.Count);
    }
}
