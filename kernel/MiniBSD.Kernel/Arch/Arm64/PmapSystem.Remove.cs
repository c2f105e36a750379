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
        return RemoveWalk switch
        {
            PmapRemoveWalk.PageByPage => RemoveLookups(cpu, pm, pm.L0, 0, sva, eva, flush),
            PmapRemoveWalk.PageByPageLiteral => RemovePageByPage(cpu, pm, sva, eva, flush),
            _ => RemoveSkipping(cpu, pm, pm.L0, 0, sva, eva, flush),
        };
    }

    /// <summary>
    /// OpenBSD arm64's pmap_remove: a pmap_vp_lookup for every page of the range, present or not, as
    /// <see cref="RemovePageByPage"/> does one by one; but the lookups of the pages under an absent entry all reload
    /// the same entries, so they are made once and charged as the repeated loads they are (TryRead64Repeated): the
    /// same cycles and counters, in host time that grows with the tables, not the range (pmap_remove of a whole 39-bit
    /// user space is 2^27 lookups).
    /// </summary>
    private int RemoveLookups(Cpu cpu, Arm64Pmap pm, ulong table, int level, ulong sva, ulong eva, PmapFlush flush)
    {
        ulong span = 1UL << (39 - 9 * level);
        int removed = 0;
        for (ulong va = sva; va < eva;)
        {
            ulong next = (va & ~(span - 1)) + span;
            if (next > eva || next <= va) next = eva;   // the range's end, or the top of the address space
            ulong slot = Slot(table, va, level);
            if (level == 3)
            {
                if (RemovePted(cpu, pm, slot, va, flush)) removed++;
            }
            else
            {
                // Every page of [va, next) loads this entry on its way down.
                if (!cpu.TryRead64Repeated(Locore.DirectMap(_machine, slot), (long)((next - va) >> 12), out ulong v)) DirectMapFault(cpu, slot, "read");
                var d = new Descriptor(v);
                if (d.IsValid && !d.IsTableOrPage) BlockInUserTables(level, va);
                if (d.IsValid) removed += RemoveLookups(cpu, pm, d.Address, level + 1, va, next, flush);
            }
            va = next;
        }
        return removed;
    }

    /// <summary>OpenBSD arm64's loop literally: a full pmap_vp_lookup for every page, present or not (reference §4).</summary>
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
