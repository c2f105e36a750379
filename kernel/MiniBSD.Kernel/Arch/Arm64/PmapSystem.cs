using MiniBSD.Hal;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Registers;
using MiniBSD.Kernel.Uvm;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Arch.Arm64;

/// <summary>How pmap_remove walks a range.</summary>
public enum PmapRemoveWalk : byte
{
    /// <summary>
    /// OpenBSD arm64: one lookup per page of the range, present or not (reference §4), its cost charged exactly while
    /// the host skips the pages under absent entries.
    /// </summary>
    PageByPage,
    /// <summary>Skip absent subtrees a whole 2 MiB / 1 GiB / 512 GiB at a time, as amd64 and pmap_vp_destroy do.</summary>
    SkipAbsent,
    /// <summary>The lookups of <see cref="PageByPage"/> made one by one (what its tests hold it against).</summary>
    PageByPageLiteral,
}

/// <summary>
/// What OpenBSD's arm64 pmap.c keeps in globals (the kernel pmap, the ASID allocator, each CPU's ci_curpm, the
/// kernel's empty user table) and its functions, in PascalCase: PmapCreate, PmapEnter, PmapRemove, PmapProtect,
/// PmapExtract, PmapActivate, PmapDeactivate, PmapPurge, PmapDestroy. Split by concern over PmapSystem.*.cs. Every
/// function takes the CPU it runs on; tables are read and written through the kernel's direct map with that CPU's
/// loads and stores, and TLB maintenance is executed as system instructions there.
/// </summary>
public sealed partial class PmapSystem : IAsidPairs
{
    private readonly Machine _machine;
    private readonly UvmPage _pages;
    private readonly Arm64Pmap?[] _curpm;

    /// <param name="asidLimit">How many ASID numbers to use (tests pass a small number to force rollovers).</param>
    public PmapSystem(Machine machine, BootInfo boot, UvmPage pages, int? asidLimit = null)
    {
        _machine = machine;
        _pages = pages;
        EmptyL0 = boot.EmptyL0;
        Kernel = new Arm64Pmap(boot.KernelL0, isKernel: true) { Active = 1 };
        Asids = new PmapAsid(machine, machine.Cpu(0), asidLimit);
        // Every other CPU may keep its number through a rollover; the switching one needs a free one (Linux's
        // "more ASIDs than CPUs" rule).
        Kassert(Asids.Capacity >= machine.Cpus.Count, "PmapSystem: {0} user ASIDs for {1} CPUs; need at least one per CPU", Asids.Capacity, machine.Cpus.Count);
        _curpm = new Arm64Pmap?[machine.Cpus.Count];
    }

    /// <summary>
    /// OpenBSD's kernel/user ASID pairs: a pmap's even ASID while the CPU runs the kernel, the odd one (ASID_USER) in
    /// user mode, switched at every entry to the kernel and every return to user mode (OpenBSD's trampoline switches
    /// TTBR1's ASID; MiniBSD, with TCR_EL1.A1 = 0, TTBR0's). Both tag the process's translations (user accesses the
    /// odd, copyin and copyout the even), so every invalidation by ASID is made for both. Set before any process runs.
    /// </summary>
    public bool AsidPair
    {
        get => Asids.Pairs;
        set
        {
            Asids.Pairs = value;
            Kassert(Asids.Capacity >= _curpm.Length, "PmapSystem: {0} ASID pairs for {1} CPUs; need at least one per CPU", Asids.Capacity, _curpm.Length);
        }
    }

    /// <summary>The exception vector's switch to the kernel's ASID of the pair (after any exception from EL0).</summary>
    public void KernelAsid(Cpu cpu) => SwitchAsid(cpu, user: false);

    /// <summary>The switch to the user ASID of the pair, just before the ERET to EL0.</summary>
    public void UserAsid(Cpu cpu) => SwitchAsid(cpu, user: true);

    private void SwitchAsid(Cpu cpu, bool user)
    {
        if (!AsidPair || _curpm[cpu.Id] is not { } pm) return;
        cpu.Msr(SysReg.Ttbr0El1, Ttbr.Create(pm.Pt0Pa, (ushort)(pm.AsidNumber | (user ? PmapAsid.AsidUser : 0))).Value);
        cpu.Isb();
    }

    /// <summary>pmap_kernel(): the TTBR1 tables locore built, always active.</summary>
    public Arm64Pmap Kernel { get; }

    /// <summary>The kernel's empty L0 table, loaded into TTBR0 (with ASID 0) when no user pmap is.</summary>
    public ulong EmptyL0 { get; }

    public PmapAsid Asids { get; }

    /// <summary>How PmapRemove walks (OpenBSD's page-by-page by default).</summary>
    public PmapRemoveWalk RemoveWalk { get; set; } = PmapRemoveWalk.PageByPage;

    /// <summary>ci_curpm of a CPU: the user pmap its TTBR0 holds, or null.</summary>
    public Arm64Pmap? CurrentPmap(Cpu cpu) => _curpm[cpu.Id];

    /// <summary>pmap_create: an empty user address space (a zeroed L0 table); its ASID comes at first activation.</summary>
    public Arm64Pmap? PmapCreate(Cpu cpu)
    {
        if (!_pages.TryAlloc(cpu, PageUse.PageTable, zero: true, out ulong l0)) return null;
        return new Arm64Pmap(l0, isKernel: false);
    }

    /// <summary>pmap_reference.</summary>
    public void PmapReference(Pmap pmap)
    {
        var pm = Md(pmap);
        Kassert(!pm.Destroyed, "pmap_reference: pmap is destroyed");
        pm.Refs++;
    }

    /// <summary>
    /// pmap_activate: one more thread uses <paramref name="pm"/> for its whole life (pm_active counts threads, not
    /// CPUs: cpu_fork activates the child's pmap, each exiting thread deactivates it). When the thread is the one
    /// running on <paramref name="cpu"/> (<paramref name="curproc"/>), the pmap is also loaded there. Context
    /// switches use <see cref="PmapSetTtb"/> and leave pm_active alone. Once pm_active has dropped back to 0 the pmap
    /// never runs again: its TLB invalidations were skipped since (ttlb_flush), so activating it again panics.
    /// </summary>
    public void PmapActivate(Cpu cpu, Pmap pmap, bool curproc = true)
    {
        var pm = Md(pmap);
        Kassert(!pm.IsKernel && !pm.Destroyed, "pmap_activate: not a live user pmap");
        Kassert(!pm.Retired, "pmap_activate: the pmap's last thread has left; its skipped TLB invalidations would show ({0})", pm);
        pm.Active++;
        if (curproc && _curpm[cpu.Id] != pm) PmapSetTtb(cpu, pm);
    }

    /// <summary>
    /// pmap_deactivate: if the pmap is still active, point TTBR0 at the kernel's empty table (ASID 0), ISB, and
    /// drop pm_active. A no-op after pmap_purge. It runs on the CPU of the thread that stops using the pmap (OpenBSD
    /// asserts curproc; here the pmap must be the one this CPU has loaded). Unlike OpenBSD (where TTBR1 keeps the ASID) ci_curpm is cleared
    /// too, since with TCR_EL1.A1 = 0 this CPU no longer holds the pmap's ASID at all.
    /// </summary>
    public void PmapDeactivate(Cpu cpu, Pmap pmap)
    {
        var pm = Md(pmap);
        if (pm.Active == 0) return;
        Kassert(_curpm[cpu.Id] == pm, "pmap_deactivate: pmap is not the one loaded on cpu{0} ({1})", cpu.Id, pm);
        LoadEmptyTtbr0(cpu);
        if (--pm.Active == 0) pm.Retired = true;
    }

    /// <summary>
    /// pmap_purge (OpenBSD 2025): the exiting process's last thread takes its pmap off this CPU, invalidates its
    /// ASID once everywhere (TLBI ASIDE1IS), and marks it inactive, so the teardown that follows issues no per-page
    /// invalidation. OpenBSD busy-waits for pm_active == 1 (sibling threads still in exit1); MiniBSD's callers
    /// guarantee it and this asserts it.
    /// </summary>
    public void PmapPurge(Cpu cpu, Pmap pmap)
    {
        var pm = Md(pmap);
        Kassert(!pm.IsKernel && pm.Active == 1 && _curpm[cpu.Id] == pm, "pmap_purge: pmap must be active once, on this CPU ({0})", pm);
        LoadEmptyTtbr0(cpu);
        FlushAsid(cpu, pm);
        pm.Pt0Pa = EmptyL0;
        pm.Active = 0;
        pm.Retired = true;
    }

    /// <summary>
    /// pmap_destroy: drop a reference; at the last one free every table page (pmap_vp_destroy walks only present
    /// subtrees) and the ASID, with its TLBI ASIDE1IS. The mappings must be gone already (uvm removed them).
    /// </summary>
    public void PmapDestroy(Cpu cpu, Pmap pmap)
    {
        var pm = Md(pmap);
        if (!pm.ReleaseLastReference()) return;
        VpDestroy(cpu, pm.L0, 0);
        if (pm.Asid != 0) Asids.Free(cpu, pm.Asid);
        pm.Destroyed = true;
        pm.TablePages = 0;
    }

    /// <summary>
    /// pmap_setttb (cpu_switchto's part): give the pmap a current-generation ASID if it lacks one, then load TTBR0 with
    /// the ASID and the table in one write (TCR_EL1.A1 = 0: no window with a new ASID and an old table, reference
    /// §4.4), ISB. The pmap must have live threads (pm_active > 0). The kernel pmap (a kernel thread), and a pmap
    /// pmap_purge has emptied (an exiting thread switched back in), load the empty table with ASID 0.
    /// </summary>
    public void PmapSetTtb(Cpu cpu, Pmap pmap)
    {
        var pm = Md(pmap);
        if (pm.IsKernel || (pm.Retired && pm.Pt0Pa == EmptyL0))
        {
            // A kernel thread, or an exiting thread switched back in after pmap_purge (whose pm_pt0pa is the
            // kernel's empty table): no user address space, TTBR0 at the empty table with ASID 0.
            LoadEmptyTtbr0(cpu);
            return;
        }
        Kassert(pm.Active > 0, "pmap_setttb: only a pmap with live threads runs ({0})", pm);
        _curpm[cpu.Id] = null; // the outgoing pmap leaves this CPU: a rollover now need not keep its number
        if (pm.Asid == 0 || !Asids.IsCurrent(pm.Asid))
            pm.Asid = Asids.Allocate(cpu, pm.Asid, LoadedPmaps());
        cpu.Msr(SysReg.Ttbr0El1, Ttbr.Create(pm.Pt0Pa, pm.AsidNumber).Value);
        cpu.Isb();
        _curpm[cpu.Id] = pm;
    }

    private void LoadEmptyTtbr0(Cpu cpu)
    {
        cpu.Msr(SysReg.Ttbr0El1, Ttbr.Create(EmptyL0, 0).Value);
        cpu.Isb();
        _curpm[cpu.Id] = null;
    }

    private readonly List<Arm64Pmap> _loaded = [];

    /// <summary>The pmaps loaded on some CPU now, each once (a reused list: the ASID allocator only reads it).</summary>
    private List<Arm64Pmap> LoadedPmaps()
    {
        _loaded.Clear();
        foreach (var pm in _curpm)
            if (pm is not null && !_loaded.Contains(pm)) _loaded.Add(pm);
        return _loaded;
    }

    /// <summary>One buffer a table level for <see cref="VpDestroy"/>'s reads (a 4 KiB stackalloc would be zeroed each call).</summary>
    private readonly ulong[][] _vpSlots = [new ulong[512], new ulong[512], new ulong[512]];

    /// <summary>pmap_vp_destroy: frees the table at <paramref name="table"/> and every present table below it.</summary>
    private void VpDestroy(Cpu cpu, ulong table, int level)
    {
        if (level < 3)
        {
            // Every slot is read, as pmap_vp_destroy reads every vp pointer: through a memory port (the same loads
            // and the same cycles, counted in a register), then the subtrees are freed in slot order. The host skips
            // runs of empty slots with a vector search; what is read and charged does not change.
            Span<ulong> slots = _vpSlots[level];
            using (var port = cpu.OpenMemoryPort())
                if (!port.TryRead64Run(Locore.DirectMap(_machine, table), slots)) DirectMapFault(cpu, table, "read");
            for (int i = slots.IndexOfAnyExcept(0UL); i >= 0; i = Next(slots, i))
            {
                var d = new Hal.Mmu.Descriptor(slots[i]);
                if (d.IsValid && d.IsTableOrPage) VpDestroy(cpu, d.Address, level + 1);
            }
        }
        _pages.Free(cpu, table);
    }

    /// <summary>The next non-zero slot after <paramref name="i"/>, or -1.</summary>
    private static int Next(ReadOnlySpan<ulong> slots, int i)
    {
        int next = slots[(i + 1)..].IndexOfAnyExcept(0UL);
        return next < 0 ? -1 : i + 1 + next;
    }
}
