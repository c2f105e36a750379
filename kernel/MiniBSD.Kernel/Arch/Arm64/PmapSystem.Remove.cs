using MiniBSD.Hal;
using MiniBSD.Hal.Mmu;
using MiniBSD.Kernel.Uvm;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Arch.Arm64;

public sealed partial class PmapSystem
{
    /// <summary>
    /// pmap_remove: unmaps every mapped page of [<paramref name="sva"/>, <paramref name="eva"/>). The frames stay
    /// allocated (uvm frees them); table pages stay until pmap_destroy. <see cref="RemoveWalk"/> chooses OpenBSD's
    /// page-by-page lookups or a walk that skips absent subtrees. Returns how many pages were unmapped.
    /// </summary>
    public int PmapRemove(Cpu cpu, Pmap pmap, ulong sva, ulong eva, PmapFlush flush = PmapFlush.WhenActive)
    {
        var pm = Md(pmap);
        Kassert((sva & 0xFFF) == 0 && (eva & 0xFFF) == 0 && sva <= eva, "pmap_remove: bad range [0x{0:X}, 0x{1:X})", sva, eva);
        return RemoveWalk == PmapRemoveWalk.PageByPage
            ? RemovePageByPage(cpu, pm, sva, eva, flush)
            : RemoveSkipping(cpu, pm, pm.L0, 0, sva, eva, flush);
    }

    /// <summary>OpenBSD arm64: a full pmap_vp_lookup for every page, present or not (reference §4).</summary>
    private int RemovePageByPage(Cpu cpu, Arm64Pmap pm, ulong sva, ulong eva, PmapFlush flush)
    {
        int removed = 0;
        for (ulong va = sva; va < eva; va += 0x1000)
        {
            ulong slot = VpLookup(cpu, pm, va);
            if (slot != 0 && RemovePted(cpu, pm, slot, va, flush)) removed++;
        }
        return removed;
    }

    /// <summary>Descends only into present tables, stepping over an absent one's whole span.</summary>
    private int RemoveSkipping(Cpu cpu, Arm64Pmap pm, ulong table, int level, ulong sva, ulong eva, PmapFlush flush)
    {
        int shift = 39 - 9 * level;
        ulong span = 1UL << shift;
        int removed = 0;
        for (ulong va = sva; va < eva;)
        {
            ulong next = Math.Min((va & ~(span - 1)) + span, eva);
            ulong slot = Slot(table, va, level);
            if (level == 3)
            {
                if (RemovePted(cpu, pm, slot, va, flush)) removed++;
            }
            else
            {
                var d = ReadPte(cpu, slot);
                if (d.IsValid) removed += RemoveSkipping(cpu, pm, d.Address, level + 1, va, next, flush);
            }
            if (next < va) break; // wrapped at the top of the address space
            va = next;
        }
        return removed;
    }

    /// <summary>pmap_remove_pted: clears one L3 entry if valid, counts it, and invalidates per <paramref name="flush"/>.</summary>
    private bool RemovePted(Cpu cpu, Arm64Pmap pm, ulong slot, ulong va, PmapFlush flush)
    {
        var pte = ReadPte(cpu, slot);
        if (!pte.IsValid) return false;
        WritePte(cpu, slot, Descriptor.Invalid);
        pm.ResidentCount--;
        if (flush == PmapFlush.WhenActive) TtlbFlush(cpu, pm, va);
        _pages.Unmapped(pte.Address);
        return true;
    }
}
