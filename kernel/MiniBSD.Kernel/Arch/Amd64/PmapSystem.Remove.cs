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
        for (ulong va = sva, blkend; va < eva; va = blkend)
        {
            blkend = Math.Min((va + PdeSize) & ~(PdeSize - 1), eva);
            if (blkend <= va) blkend = eva;   // the top of the address space
            ulong pt = PmapPdesValid(cpu, pm, va);
            if (pt == 0) continue;
            removed += PmapRemovePtes(cpu, pm, pt, va, blkend);
            if (_wire[FrameIndex(pt)] <= 1) PmapFreePtp(cpu, pm, va, _emptyPtps);
        }
        if (flushes && eva - sva == PageSize) PmapTlbShootpage(cpu, pm, sva, shootself);
        else if (flushes && eva - sva > 32 * PageSize && !pm.IsKernel) PmapTlbShoottlb(cpu, pm, shootself);
        else if (flushes) PmapTlbShootrange(cpu, pm, sva, eva, shootself);
        PmapTlbShootwait(cpu);
        foreach (ulong ptp in _emptyPtps) _pages.Free(cpu, ptp);
        return removed;
    }

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
