using MiniBSD.Hal;
using MiniBSD.Hal.X86;
using MiniBSD.Kernel.Uvm;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Arch.Amd64;

public sealed partial class PmapSystem
{
    private readonly List<ulong> _emptyPtps = [];

    /// <summary>
    /// pmap_remove as pmap_do_remove does it: one page alone, or the range one 2 MiB PDE block at a time, skipping
    /// blocks whose PDEs are not valid (even when a whole PDPT or PML4E is absent: the cost grows with span / 2 MiB),
    /// zapping each block's PTEs while its page table still has entries (wire_count &gt; 1), freeing emptied page
    /// tables; then one shootdown for the whole range, all of PCID_PROC when it spans more than 32 user pages; then
    /// pmap_tlb_shootwait, and only after it the page tables go back. Local invalidation happens only when the pmap is
    /// this CPU's CR3 (shootself); IPIs go only to the CPUs whose ci_proc_pmap it is. <paramref name="flush"/> Never
    /// skips both, as if the pmap were inactive (the purge-broken exit path). Returns how many pages were unmapped.
    /// </summary>
    public int PmapRemove(Cpu cpu, Pmap pmap, ulong sva, ulong eva, PmapFlush flush = PmapFlush.WhenActive) =>
        PmapDoRemove(cpu, Md(pmap), sva, eva, flush);

    private int PmapDoRemove(Cpu cpu, Amd64Pmap pm, ulong sva, ulong eva, PmapFlush flush)
    {
        Kassert((sva & 0xFFF) == 0 && (eva & 0xFFF) == 0 && sva <= eva, "pmap_remove: bad range [0x{0:X}, 0x{1:X})", sva, eva);
        bool flushes = flush == PmapFlush.WhenActive;
        bool shootself = flushes && PmapIsCurpmap(cpu, pm);
        _emptyPtps.Clear();
        int removed = 0;
        if (LiteralBlockLoop) removed = RemoveBlocksOneByOne(cpu, pm, sva, eva);
        else RemoveBlocks(cpu, pm, pm.Pml4, 0, sva, eva, ref removed);
        if (flushes && eva - sva == PageSize) PmapTlbShootpage(cpu, pm, sva, shootself);
        else if (flushes && eva - sva > 32 * PageSize && !pm.IsKernel) PmapTlbShoottlb(cpu, pm, shootself);
        else if (flushes) PmapTlbShootrange(cpu, pm, sva, eva, shootself);
        PmapTlbShootwait(cpu);
        foreach (ulong ptp in _emptyPtps) _pages.Free(cpu, ptp);
        return removed;
    }

    /// <summary>pmap_do_remove's block loop made one 2 MiB block at a time (what <see cref="RemoveBlocks"/> is tested against).</summary>
    internal bool LiteralBlockLoop { get; set; }

    private int RemoveBlocksOneByOne(Cpu cpu, Amd64Pmap pm, ulong sva, ulong eva)
    {
        int removed = 0;
        for (ulong va = sva, blkend; va < eva; va = blkend)
        {
            blkend = Math.Min((va + PdeSize) & ~(PdeSize - 1), eva);
            if (blkend <= va) blkend = eva;   // the top of the address space
            ulong pt = PmapPdesValid(cpu, pm, va);
            if (pt == 0) continue;
            removed += PmapRemovePtes(cpu, pm, pt, va, blkend);
            if (_wire[FrameIndex(pt)] <= 1) PmapFreePtp(cpu, pm, va, _emptyPtps);
        }
        return removed;
    }

    /// <summary>
    /// pmap_do_remove's block loop: for each 2 MiB block, pmap_pdes_valid loads the PML4E, PDPTE and PDE until one is
    /// absent, then the block's PTEs are zapped and an emptied page table freed (pmap_free_ptp, which may free its
    /// parents). Every block under one entry loads that entry, so the entry is loaded once and the other blocks' loads
    /// are charged as the repeats they are (RepeatLoad): all the blocks of its span while its table lives, and up to
    /// the block that freed the table if one did (the blocks after it stop a level higher, as the loop's would). The
    /// same cycles and counters as <see cref="RemoveBlocksOneByOne"/>, in host time that grows with the tables, not
    /// with span / 2 MiB (a whole user space is 2^26 blocks). Returns where <paramref name="table"/> was freed, or
    /// <paramref name="eva"/>.
    /// </summary>
    private ulong RemoveBlocks(Cpu cpu, Amd64Pmap pm, ulong table, int level, ulong sva, ulong eva, ref int removed)
    {
        ulong span = 1UL << (39 - 9 * level);
        for (ulong va = sva; va < eva;)
        {
            ulong next = (va & ~(span - 1)) + span;
            if (next > eva || next <= va) next = eva;
            ulong slot = Slot(table, va, level);
            var e = new PageEntry(ReadPte(cpu, slot));   // the first block's load
            ulong end = next;                            // where this table stops being loaded from
            bool freed = false;
            if (e.Present)
            {
                Kassert(!e.Large, "pmap_pdes_valid: a large page at level {0} for VA 0x{1:X} in a user pmap", level, va);
                ulong freedAt = next;   // the end of the block whose pmap_free_ptp freed the table below, if one did
                if (level < 2) freedAt = RemoveBlocks(cpu, pm, e.Frame, level + 1, va, next, ref removed);
                else
                {
                    removed += PmapRemovePtes(cpu, pm, e.Frame, va, next);
                    if (_wire[FrameIndex(e.Frame)] <= 1) PmapFreePtp(cpu, pm, va, _emptyPtps);
                }
                freed = level > 0 && _wire[FrameIndex(table)] == 0;   // this table too, by the same climb
                if (freed) end = freedAt;
            }
            cpu.RepeatLoad(Blocks(va, end) - 1);   // the other blocks' loads of this entry
            if (freed) return end;                 // the caller's loop goes on without this table
            va = next;
        }
        return eva;
    }

    /// <summary>How many 2 MiB blocks [<paramref name="va"/>, <paramref name="end"/>) touches.</summary>
    private static long Blocks(ulong va, ulong end) => (long)(((end - 1) >> 21) - (va >> 21)) + 1;

    /// <summary>pmap_remove_ptes: zaps the valid PTEs of [va, end) in one page table, stopping once it is empty.</summary>
    private int PmapRemovePtes(Cpu cpu, Amd64Pmap pm, ulong pt, ulong va, ulong end)
    {
        int removed = 0;
        ref int wire = ref _wire[FrameIndex(pt)];
        for (; va < end && wire > 1; va += PageSize)
        {
            ulong slot = Slot(pt, va, 3);
            var pte = new PageEntry(ReadPte(cpu, slot));
            if (!pte.Present) continue;
            WritePte(cpu, slot, 0);
            wire--;
            pm.ResidentCount--;
            _pages.Unmapped(pte.Frame);
            removed++;
        }
        return removed;
    }
}
