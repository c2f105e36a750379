using MiniBSD.Hal;
using MiniBSD.Hal.Memory;
using MiniBSD.Hal.X86;
using MiniBSD.Kernel.Uvm;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Arch.Amd64;

public sealed partial class PmapSystem
{
    private const ulong PageSize = 0x1000, PdeSize = 0x20_0000;

    /// <summary>Reads a paging-structure entry through the direct map with this CPU's load.</summary>
    private ulong ReadPte(Cpu cpu, ulong pa)
    {
        if (!cpu.TryRead64(Locore.DirectMap(_machine, pa), out ulong v)) DirectMapFault(cpu, pa, "read");
        return v;
    }

    /// <summary>Writes a paging-structure entry through the direct map (OpenBSD's atomic_swap_64 / plain store).</summary>
    private void WritePte(Cpu cpu, ulong pa, ulong value)
    {
        if (!cpu.TryWrite64(Locore.DirectMap(_machine, pa), value)) DirectMapFault(cpu, pa, "write");
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void DirectMapFault(Cpu cpu, ulong pa, string what) =>
        throw Panic($"pmap: cannot {what} the entry at 0x{pa:X} through the direct map ({cpu}, #PF error 0x{cpu.Frame.ErrorCode:x})");

    private int FrameIndex(ulong pa) => (int)((pa - _machine.Memory.Base) / PhysicalMemory.FrameSize);

    private static ulong Slot(ulong table, ulong va, int level) => table + PmapBootstrap.Index(va, level) * 8;

    /// <summary>pmap_is_curpmap: the kernel pmap, or the one in this CPU's CR3 (read with MOV from CR3).</summary>
    private bool PmapIsCurpmap(Cpu cpu, Amd64Pmap pm) => pm.IsKernel || new Cr3(cpu.ReadCr3()).Pml4(_machine.Config.PaBits) == pm.Pml4;

    /// <summary>
    /// pmap_pdes_valid: the page table (level 3) that maps <paramref name="va"/>, or 0 when the PML4E, PDPTE or PDE on
    /// the way is not present.
    /// </summary>
    private ulong PmapPdesValid(Cpu cpu, Amd64Pmap pm, ulong va)
    {
        ulong table = pm.Pml4;
        for (int level = 0; level < 3; level++)
        {
            var e = new PageEntry(ReadPte(cpu, Slot(table, va, level)));
            if (!e.Present) return 0;
            Kassert(!e.Large, "pmap_pdes_valid: a large page at level {0} for VA 0x{1:X} in a user pmap", level, va);
            table = e.Frame;
        }
        return table;
    }

    /// <summary>
    /// pmap_get_ptp: the page table for <paramref name="va"/>, allocating the missing PDPT, PD and PT top-down, each
    /// with wire_count 1 and one more on its parent. False (ENOMEM) when no page is left.
    /// </summary>
    private bool PmapGetPtp(Cpu cpu, Amd64Pmap pm, ulong va, out ulong pt)
    {
        ulong table = pm.Pml4;
        pt = 0;
        for (int level = 0; level < 3; level++)
        {
            ulong at = Slot(table, va, level);
            var e = new PageEntry(ReadPte(cpu, at));
            if (!e.Present)
            {
                if (!_pages.TryAlloc(cpu, PageUse.PageTable, zero: true, out ulong next)) return false;
                _wire[FrameIndex(next)] = 1;
                _wire[FrameIndex(table)]++;
                pm.TablePages++;
                e = Pte.Table(next, user: !pm.IsKernel);
                WritePte(cpu, at, e.Value);
            }
            table = e.Frame;
        }
        pt = table;
        return true;
    }

    /// <summary>
    /// pmap_free_ptp: the emptied page table for <paramref name="va"/> leaves its PDE, and each parent that empties in
    /// turn leaves its own; the pages go on <paramref name="free"/>, to be freed once the shootdown has been waited for.
    /// </summary>
    private void PmapFreePtp(Cpu cpu, Amd64Pmap pm, ulong va, List<ulong> free)
    {
        Span<ulong> path = stackalloc ulong[4];
        path[0] = pm.Pml4;
        for (int level = 0; level < 3; level++) path[level + 1] = new PageEntry(ReadPte(cpu, Slot(path[level], va, level))).Frame;
        for (int level = 3; level >= 1 && _wire[FrameIndex(path[level])] <= 1; level--)
        {
            WritePte(cpu, Slot(path[level - 1], va, level - 1), 0);
            _wire[FrameIndex(path[level])] = 0;
            _wire[FrameIndex(path[level - 1])]--;
            pm.TablePages--;
            free.Add(path[level]);
        }
    }
}
