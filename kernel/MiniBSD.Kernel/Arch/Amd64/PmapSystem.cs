using MiniBSD.Hal;
using MiniBSD.Hal.X86;
using MiniBSD.Kernel.Uvm;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Arch.Amd64;

/// <summary>
/// OpenBSD's amd64 pmap.c (rev. 1.182, 2025) in PascalCase: PmapCreate, PmapDestroy, PmapEnter, PmapRemove
/// (pmap_do_remove), PmapProtect (pmap_write_protect), PmapExtract, PmapActivate, PmapDeactivate, the TLB shootdown
/// protocol (PmapShootdown.cs) and cpu_switchto's CR3 load. Tables are read and written through the direct map with
/// the running CPU's loads and stores (pmap_find_pte_direct's way; MiniBSD has no recursive PTE map). There is no
/// pmap_purge (no __HAVE_PMAP_PURGE): an exiting process's teardown flushes this CPU as it goes and shoots only the
/// other CPUs running the pmap.
/// </summary>
public sealed partial class PmapSystem : Kern.IInterruptAccounted
{
    private readonly Machine _machine;
    private readonly UvmPage _pages;
    private readonly Amd64Pmap?[] _procPmap;
    /// <summary>Each page-table page's wire_count: 1 + its valid entries (vm_page's, here by frame number).</summary>
    private readonly int[] _wire;

    public PmapSystem(Machine machine, BootInfo boot, UvmPage pages)
    {
        _machine = machine;
        _pages = pages;
        Boot = boot;
        Kernel = new Amd64Pmap(boot.KernelPml4, isKernel: true) { Active = 1 };
        _procPmap = new Amd64Pmap?[machine.Cpus.Count];
        _wire = new int[machine.Memory.FrameCount];
        foreach (var cpu in machine.Cpus) cpu.Idt = Xipi;   // lapic_boot_init: the Xipi_*_pcid handlers
    }

    public BootInfo Boot { get; }

    /// <summary>The kernel's time accounting, told when a shootdown handler runs (its time is interrupt time).</summary>
    public Kern.StatClock? Interrupts { get; set; }

    /// <summary>pmap_kernel(): locore's PML4, always active, run under PCID_KERN.</summary>
    public Amd64Pmap Kernel { get; }

    /// <summary>ci_proc_pmap of a CPU: the user pmap it runs now, or null.</summary>
    public Amd64Pmap? CurrentPmap(Cpu cpu) => _procPmap[cpu.Id];

    /// <summary>pmap_create: a new PML4 whose kernel half is the kernel pmap's (pmap_pdp_ctor copies slots 256-511).</summary>
    public Amd64Pmap? PmapCreate(Cpu cpu)
    {
        if (!_pages.TryAlloc(cpu, PageUse.PageTable, zero: true, out ulong pml4)) return null;
        Span<ulong> kernel = _slots[0].AsSpan(VmParam.KernelSlot);
        ReadTable(cpu, Kernel.Pml4 + VmParam.KernelSlot * 8, kernel);
        for (int i = kernel.IndexOfAnyExcept(0UL); i >= 0; i = Next(kernel, i)) WritePte(cpu, pml4 + (ulong)(VmParam.KernelSlot + i) * 8, kernel[i]);
        return new Amd64Pmap(pml4, isKernel: false);
    }

    /// <summary>pmap_reference.</summary>
    public void PmapReference(Pmap pmap)
    {
        Kassert(!pmap.Destroyed, "pmap_reference: pmap is destroyed");
        pmap.Refs++;
    }

    /// <summary>
    /// pmap_activate: one more thread uses the pmap; when it is the one running here (<paramref name="curproc"/>), this
    /// CPU's ci_proc_pmap becomes the pmap and CR3 is loaded with its PML4 and PCID_PROC, without the reuse bit, so
    /// PCID_PROC's entries of the previous user pmap are flushed.
    /// </summary>
    public void PmapActivate(Cpu cpu, Pmap pmap, bool curproc = true)
    {
        var pm = Md(pmap);
        Kassert(!pm.IsKernel && !pm.Destroyed && !pm.Retired, "pmap_activate: not a live user pmap ({0})", pm);
        pm.Active++;
        if (curproc) LoadUser(cpu, pm);
    }

    /// <summary>
    /// pmap_deactivate: this CPU stops running the pmap for shootdowns (ci_proc_pmap = NULL). CR3 is not changed: the
    /// CPU keeps translating through the old tables until cpu_switchto loads another, and nothing may touch user
    /// addresses in between.
    /// </summary>
    public void PmapDeactivate(Cpu cpu, Pmap pmap)
    {
        var pm = Md(pmap);
        if (pm.Active == 0) return;
        Kassert(_procPmap[cpu.Id] == pm, "pmap_deactivate: pmap is not ci_proc_pmap of cpu{0} ({1})", cpu.Id, pm);
        _procPmap[cpu.Id] = null;
        if (--pm.Active == 0) pm.Retired = true;
    }

    /// <summary>
    /// cpu_switchto's address-space switch: CR3 is loaded only when it changes (locore.S compares it, bit 63 aside). A
    /// user pmap goes in with PCID_PROC (a flush of that PCID) and becomes ci_proc_pmap; the kernel pmap, or a pmap
    /// whose last thread has left, goes in with PCID_KERN and the reuse bit (the kernel's entries stay).
    /// </summary>
    public void PmapSwitch(Cpu cpu, Pmap pmap)
    {
        var pm = Md(pmap);
        if (pm.IsKernel || pm.Retired)
        {
            _procPmap[cpu.Id] = null;
            ulong kernel = Cr3.Create(Kernel.Pml4, Pcid.Kern).Value;
            if ((cpu.ReadCr3() & ~Cr3.NoFlush) != kernel) cpu.WriteCr3(kernel | Cr3.NoFlush);
            return;
        }
        Kassert(pm.Active > 0 && !pm.Destroyed, "cpu_switchto: only a pmap with live threads runs ({0})", pm);
        if ((cpu.ReadCr3() & ~Cr3.NoFlush) == Cr3.Create(pm.Pml4, Pcid.Proc).Value)
        {
            _procPmap[cpu.Id] = pm;
            return;
        }
        LoadUser(cpu, pm);
    }

    /// <summary>lcr3(pm_pdirpa | PCID_PROC): a flush of PCID_PROC; the checker's rule 3 sees the PCID handed to a new space.</summary>
    private void LoadUser(Cpu cpu, Amd64Pmap pm)
    {
        _procPmap[cpu.Id] = pm;
        cpu.WriteCr3(Cr3.Create(pm.Pml4, Pcid.Proc).Value);
        _machine.Checker.PcidLoaded(cpu, Pcid.Proc);
    }

    /// <summary>
    /// pmap_destroy: drop a reference; at the last, free every page-table page of the user half and the PML4. No TLB
    /// work: no CPU has the pmap as ci_proc_pmap, and PCID_PROC's entries die at the next user CR3 load.
    /// </summary>
    public void PmapDestroy(Cpu cpu, Pmap pmap)
    {
        var pm = Md(pmap);
        if (!pm.ReleaseLastReference()) return;
        for (int i = 0; i < _procPmap.Length; i++) Kassert(_procPmap[i] != pm, "pmap_destroy: still ci_proc_pmap of cpu{0}", i);
        FreeTree(cpu, pm.Pml4, 0);
        pm.Destroyed = true;
        pm.TablePages = 0;
    }

    /// <summary>
    /// Frees the user half's tables under <paramref name="table"/> (the kernel slots are the kernel pmap's), then the
    /// table. Every slot is read (as pmap_destroy's object walk visits every page table), through a memory port; the
    /// host skips runs of empty slots, what is read and charged does not change.
    /// </summary>
    private void FreeTree(Cpu cpu, ulong table, int level)
    {
        if (level < 3)
        {
            Span<ulong> slots = _slots[level].AsSpan(0, level == 0 ? VmParam.KernelSlot : 512);
            ReadTable(cpu, table, slots);
            for (int i = slots.IndexOfAnyExcept(0UL); i >= 0; i = Next(slots, i))
            {
                var e = new PageEntry(slots[i]);
                if (e.Present && !e.Large) FreeTree(cpu, e.Frame, level + 1);
            }
        }
        _wire[FrameIndex(table)] = 0;
        _pages.Free(cpu, table);
    }

    /// <summary>One buffer a table level for whole-table reads (a 4 KiB stackalloc would be zeroed each call).</summary>
    private readonly ulong[][] _slots = [new ulong[512], new ulong[512], new ulong[512]];

    /// <summary>Reads consecutive entries through the direct map with one memory port (the same loads, counted in a register).</summary>
    private void ReadTable(Cpu cpu, ulong pa, Span<ulong> entries)
    {
        using var port = cpu.OpenMemoryPort();
        if (!port.TryRead64Run(Locore.DirectMap(_machine, pa), entries)) DirectMapFault(cpu, pa, "read");
    }

    /// <summary>The next non-zero entry after <paramref name="i"/>, or -1.</summary>
    private static int Next(ReadOnlySpan<ulong> slots, int i)
    {
        int next = slots[(i + 1)..].IndexOfAnyExcept(0UL);
        return next < 0 ? -1 : i + 1 + next;
    }

    private static Amd64Pmap Md(Pmap pm) => (Amd64Pmap)pm;
}
