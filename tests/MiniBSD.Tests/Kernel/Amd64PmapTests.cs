using MiniBSD.Hal;
using MiniBSD.Hal.Check;
using MiniBSD.Hal.Cost;
using MiniBSD.Hal.Tlb;
using MiniBSD.Hal.X86;
using MiniBSD.Kernel.Arch.Amd64;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Tests.Kernel;

/// <summary>
/// amd64's pmap, exactly: the PTE bits it writes, the INVPCIDs and IPIs each operation costs (OpenBSD's pmap_do_remove
/// and pmap_write_protect with the 32-page rule, pmap_enter's read-only-first upgrade), shootdowns only to the CPUs
/// whose ci_proc_pmap the pmap is, page-table pages freed as they empty, and the checker catching a skipped shootdown.
/// </summary>
public sealed class Amd64PmapTests
{
    private const ulong Va = 0x40_0000;

    private sealed class World
    {
        public World(int cpus = 2)
        {
            Machine = new Machine(new MachineConfig { Arch = Arch.Amd64, Cpus = cpus, MemoryBytes = 64 * MachineConfig.MiB, CheckCoherence = true });
            var boot = Locore.Start(Machine);
            Pages = new UvmPage(Machine, boot.FirstFree);
            Pmaps = new PmapSystem(Machine, boot, Pages);
        }

        public Machine Machine { get; }
        public UvmPage Pages { get; }
        public PmapSystem Pmaps { get; }
        public Cpu Cpu(int i = 0) => Machine.Cpus[i];

        public ulong Anon()
        {
            Assert.True(Pages.TryAlloc(Cpu(), PageUse.Anon, zero: true, out ulong pa));
            return pa;
        }

        /// <summary>A user pmap with <paramref name="pages"/> pages mapped RW from <see cref="Va"/>, running on cpu0.</summary>
        public (Amd64Pmap Pm, List<ulong> Frames) Mapped(int pages)
        {
            var pm = Pmaps.PmapCreate(Cpu())!;
            Pmaps.PmapActivate(Cpu(), pm);
            var frames = new List<ulong>();
            for (int i = 0; i < pages; i++)
            {
                frames.Add(Anon());
                Assert.True(Pmaps.PmapEnter(Cpu(), pm, Va + (ulong)i * 0x1000, frames[i], VmProt.ReadWrite));
            }
            return (pm, frames);
        }

        /// <summary>Touches each page from CPU <paramref name="cpu"/> at CPL 3, so its TLB holds them.</summary>
        public void Touch(int cpu, int pages)
        {
            var c = Cpu(cpu);
            c.Execute(X86Code.Sysretq, new(Rcx: 0x1000, R11: RflagsBits.IF));
            for (int i = 0; i < pages; i++) Assert.True(c.TryRead64(Va + (ulong)i * 0x1000, out _));
            c.Execute(X86Code.Syscall);
        }

        public long Counted(Func<CpuCounters, long> what, int cpu) => what(Cpu(cpu).Counters);

        public void Exit(Amd64Pmap pm, List<ulong> frames)
        {
            Pmaps.PmapRemove(Cpu(), pm, Va, Va + (ulong)frames.Count * 0x1000);
            foreach (ulong f in frames) Pages.Free(Cpu(), f);
            Pmaps.PmapDeactivate(Cpu(), pm);
            Pmaps.PmapSwitch(Cpu(), Pmaps.Kernel);
            Pmaps.PmapDestroy(Cpu(), pm);
            Assert.Empty(Machine.Checker.Violations);
            Assert.Equal(Pages.TotalPages, Pages.Count(PageUse.Free));
        }
    }

    [Fact]
    public void Pmap_enter_writes_the_openbsd_bits_at_every_level()
    {
        var w = new World();
        var (pm, frames) = w.Mapped(1);
        var m = w.Machine.Memory;
        ulong pdpt = m.Read64(pm.Pml4) & PageEntry.FrameMask;
        ulong pd = m.Read64(pdpt) & PageEntry.FrameMask;
        ulong pt = m.Read64(pd + 2 * 8) & PageEntry.FrameMask;                 // VA 0x400000: PD index 2
        Assert.Equal(pdpt | PageEntry.P | PageEntry.RW | PageEntry.US, m.Read64(pm.Pml4));
        Assert.Equal(frames[0] | PageEntry.P | PageEntry.RW | PageEntry.US | PageEntry.XD, m.Read64(pt));   // RW, user, no execute
        Assert.Equal(m.Read64(w.Pmaps.Kernel.Pml4 + 507 * 8), m.Read64(pm.Pml4 + 507 * 8));                 // the direct map's slot shared
        Assert.Equal(4, pm.TablePages);
        Assert.Equal(Cr3.Create(pm.Pml4, Pcid.Proc).Value, w.Cpu().Cr3.Value);
        Assert.Equal(1, w.Pmaps.PmapRemove(w.Cpu(), pm, Va, Va + 0x1000));
        Assert.Equal(1, pm.TablePages);                                       // PT, PD and PDPT freed as they emptied
        w.Pmaps.PmapEnter(w.Cpu(), pm, Va, frames[0], VmProt.Read | VmProt.Execute);
        pt = m.Read64((m.Read64(m.Read64(pm.Pml4) & PageEntry.FrameMask) & PageEntry.FrameMask) + 2 * 8) & PageEntry.FrameMask;
        Assert.Equal(frames[0] | PageEntry.P | PageEntry.US, m.Read64(pt));   // text: read-only, executable
        w.Exit(pm, frames);
    }

    [Theory]
    [InlineData(1, 1, 0)]      // pmap_tlb_shootpage: one INVPCID
    [InlineData(10, 10, 0)]    // shootrange: one INVPCID a page
    [InlineData(32, 32, 0)]
    [InlineData(33, 0, 1)]     // more than 32 user pages: shoottlb, one INVPCID type 1
    [InlineData(1000, 0, 1)]
    public void Pmap_remove_on_the_cpu_running_the_pmap_invalidates_locally_and_sends_no_ipi(int pages, int type0, int type1)
    {
        var w = new World();
        var (pm, frames) = w.Mapped(pages);
        w.Touch(0, Math.Min(pages, 8));
        long t0 = w.Counted(c => c.X86Invalidations(X86Flush.InvpcidAddress), 0), t1 = w.Counted(c => c.X86Invalidations(X86Flush.InvpcidSingle), 0);
        long ipis = w.Machine.TotalCounters().IpisSent;
        Assert.Equal(pages, w.Pmaps.PmapRemove(w.Cpu(), pm, Va, Va + (ulong)pages * 0x1000));
        Assert.Equal(type0, w.Counted(c => c.X86Invalidations(X86Flush.InvpcidAddress), 0) - t0);
        Assert.Equal(type1, w.Counted(c => c.X86Invalidations(X86Flush.InvpcidSingle), 0) - t1);
        Assert.Equal(0, w.Machine.TotalCounters().IpisSent - ipis);
        foreach (ulong f in frames) w.Pages.Free(w.Cpu(), f);                         // rule 2: nothing maps them any more
        w.Exit(pm, []);
    }

    [Fact]
    public void A_pmap_active_on_a_second_cpu_gets_one_ipi_per_remove_and_the_handler_invalidates_there()
    {
        var w = new World(cpus: 4);
        var (pm, frames) = w.Mapped(40);
        w.Pmaps.PmapActivate(w.Cpu(1), pm);                                  // a second thread of the space, on cpu1
        w.Touch(1, 8);
        w.Touch(0, 8);
        long before1 = w.Counted(c => c.X86Invalidations(X86Flush.InvpcidAddress), 1);
        Assert.Equal(10, w.Pmaps.PmapRemove(w.Cpu(), pm, Va, Va + 10 * 0x1000));   // Xipi_invlrange_pcid on cpu1
        Assert.Equal((1L, 0L), (w.Cpu(0).Counters.IpisSent, w.Cpu(2).Counters.IpisReceived + w.Cpu(3).Counters.IpisReceived));
        Assert.Equal(1, w.Cpu(1).Counters.IpisReceived);
        Assert.Equal(20, w.Counted(c => c.X86Invalidations(X86Flush.InvpcidAddress), 1) - before1);   // PCID_PROC and PCID_PROC_INTEL a page
        long single = w.Counted(c => c.X86Invalidations(X86Flush.InvpcidSingle), 1);
        Assert.Equal(30, w.Pmaps.PmapRemove(w.Cpu(), pm, Va + 10 * 0x1000, Va + 40 * 0x1000));   // 30 pages: a range again
        w.Pmaps.PmapProtect(w.Cpu(), pm, Va, Va + 40 * 0x1000, VmProt.Read);                   // 40 pages: Xipi_invltlb_pcid
        Assert.Equal(2, w.Counted(c => c.X86Invalidations(X86Flush.InvpcidSingle), 1) - single);
        Assert.Equal(3, w.Cpu(0).Counters.IpisSent);
        Assert.Equal(3, w.Pmaps.Shootdowns);
        foreach (ulong f in frames) w.Pages.Free(w.Cpu(), f);
        Assert.Empty(w.Machine.Checker.Violations);
        w.Pmaps.PmapDeactivate(w.Cpu(1), pm);
        w.Pmaps.PmapSwitch(w.Cpu(1), w.Pmaps.Kernel);
        w.Exit(pm, []);
    }

    [Fact]
    public void A_copy_on_write_upgrade_stores_read_only_first_then_writable()
    {
        var w = new World();
        var (pm, frames) = w.Mapped(1);
        w.Pmaps.PmapProtect(w.Cpu(), pm, Va, Va + 0x1000, VmProt.Read);
        ulong copy = w.Anon();
        long t0 = w.Counted(c => c.X86Invalidations(X86Flush.InvpcidAddress), 0);
        Assert.True(w.Pmaps.PmapEnter(w.Cpu(), pm, Va, copy, VmProt.ReadWrite));   // the fault's new frame, writable
        Assert.Equal(1, w.Counted(c => c.X86Invalidations(X86Flush.InvpcidAddress), 0) - t0);   // one shoot, after the read-only store
        Assert.True(w.Pmaps.PmapExtract(w.Cpu(), pm, Va + 0x10, out ulong pa));
        Assert.Equal(copy + 0x10, pa);
        w.Pages.Free(w.Cpu(), frames[0]);
        w.Exit(pm, [copy]);
    }

    [Fact]
    public void Switching_to_another_user_pmap_flushes_pcid_1_and_the_same_one_reloads_nothing()
    {
        var w = new World();
        var (a, fa) = w.Mapped(4);
        w.Touch(0, 4);
        var b = w.Pmaps.PmapCreate(w.Cpu())!;
        w.Pmaps.PmapActivate(w.Cpu(), b, curproc: false);
        long removed = w.Cpu().Counters.TlbEntriesInvalidated;
        w.Pmaps.PmapSwitch(w.Cpu(), b);                                      // CR3 without the reuse bit: PCID 1 flushed
        Assert.True(w.Cpu().Counters.TlbEntriesInvalidated - removed >= 4);
        w.Pmaps.PmapSwitch(w.Cpu(), a);
        w.Touch(0, 4);
        long moves = w.Cpu().Counters.SystemRegisterMoves, kept = w.Cpu().Counters.TlbEntriesInvalidated;
        w.Pmaps.PmapSwitch(w.Cpu(), a);                                      // the same CR3: locore.S skips the load
        Assert.Equal(0, w.Cpu().Counters.SystemRegisterMoves - moves);        // no MOV to CR3 (the MOV from CR3 is not a write)
        Assert.Equal(kept, w.Cpu().Counters.TlbEntriesInvalidated);
        w.Pmaps.PmapSwitch(w.Cpu(), b);                                      // b's thread exits here
        w.Pmaps.PmapDeactivate(w.Cpu(), b);
        w.Pmaps.PmapSwitch(w.Cpu(), a);
        w.Pmaps.PmapDestroy(w.Cpu(), b);
        w.Exit(a, fa);
    }

    [Fact]
    public void Skipping_the_local_flush_while_the_pmap_is_loaded_is_caught_when_the_frame_is_freed()
    {
        var w = new World();
        var (pm, frames) = w.Mapped(2);
        w.Touch(0, 2);
        w.Pmaps.PmapRemove(w.Cpu(), pm, Va, Va + 0x2000, PmapFlush.Never);   // as if the pmap were inactive
        w.Pages.Free(w.Cpu(), frames[0]);
        var v = Assert.Single(w.Machine.Checker.Violations);
        Assert.Equal(CoherenceRule.FreedFrameStillMapped, v.Rule);
        Assert.Equal(frames[0], v.Frame);
        Assert.Contains("PCID 0x1 is loaded on cpu0", v.Detail);
    }
}
