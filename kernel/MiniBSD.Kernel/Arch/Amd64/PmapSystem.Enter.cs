using MiniBSD.Hal;
using MiniBSD.Hal.X86;
using MiniBSD.Kernel.Uvm;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Arch.Amd64;

public sealed partial class PmapSystem
{
    /// <summary>
    /// pmap_enter: the PTE for <paramref name="va"/> becomes <paramref name="pa"/> with <paramref name="prot"/>, page
    /// tables allocated on demand. A new entry needs no flush. Over a valid one: store, then pmap_tlb_shootpage; a
    /// read-only entry becoming writable (a copy-on-write fault) is stored read-only first, shot and waited for, and
    /// only then made writable, so no CPU can see the new writable mapping while another holds the old one. Ends with
    /// pmap_tlb_shootwait. False (ENOMEM) when no page is left for a table.
    /// </summary>
    public bool PmapEnter(Cpu cpu, Pmap pmap, ulong va, ulong pa, VmProt prot)
    {
        var pm = Md(pmap);
        pm.AssertEnter(va, pa, prot, VmParam.DirectMapBase, VmParam.VmMaxUserAddress);
        if (!PmapGetPtp(cpu, pm, va, out ulong pt)) return false;
        ulong slot = Slot(pt, va, 3);
        var old = new PageEntry(ReadPte(cpu, slot));
        var npte = Pte.Leaf(pa, prot, user: !pm.IsKernel);
        if (!old.Present)
        {
            WritePte(cpu, slot, npte.Value);
            pm.ResidentCount++;
            _wire[FrameIndex(pt)]++;
            _pages.Mapped(pa);
            return true;
        }
        if ((old.Value & ~(PageEntry.A | PageEntry.D)) == npte.Value) return true;
        if (old.Frame != pa)
        {
            _pages.Unmapped(old.Frame);
            _pages.Mapped(pa);
        }
        bool shootself = PmapIsCurpmap(cpu, pm);
        if (!old.Writable && npte.Writable)
        {
            WritePte(cpu, slot, npte.Value & ~PageEntry.RW);
            PmapTlbShootpage(cpu, pm, va, shootself);
            PmapTlbShootwait(cpu);
        }
        WritePte(cpu, slot, npte.Value);
        if (old.Writable || !npte.Writable) PmapTlbShootpage(cpu, pm, va, shootself);
        PmapTlbShootwait(cpu);
        return true;
    }

    /// <summary>pmap_extract: the physical address <paramref name="va"/> maps to, if it is mapped.</summary>
    public bool PmapExtract(Cpu cpu, Pmap pmap, ulong va, out ulong pa)
    {
        pa = 0;
        ulong pt = PmapPdesValid(cpu, Md(pmap), va);
        if (pt == 0) return false;
        var pte = new PageEntry(ReadPte(cpu, Slot(pt, va, 3)));
        if (!pte.Present) return false;
        pa = pte.Frame | (va & 0xFFF);
        return true;
    }

    /// <summary>
    /// pmap_protect (pmap.h): PROT_NONE is pmap_remove; anything else is pmap_write_protect, which only takes rights
    /// away (PG_RW without PROT_WRITE, NX without PROT_EXEC) over the valid PTEs of the range, one 2 MiB block at a
    /// time, skipping blocks whose PDEs are absent, then shoots the range (all of PCID_PROC past 32 user pages) and
    /// waits.
    /// </summary>
    public void PmapProtect(Cpu cpu, Pmap pmap, ulong sva, ulong eva, VmProt prot)
    {
        if (prot == VmProt.None) PmapDoRemove(cpu, Md(pmap), sva, eva, PmapFlush.WhenActive);
        else PmapWriteProtect(cpu, Md(pmap), sva, eva, prot);
    }

    /// <summary>pmap_write_protect: rights taken away over the range's valid PTEs, then the range shot.</summary>
    private void PmapWriteProtect(Cpu cpu, Amd64Pmap pm, ulong sva, ulong eva, VmProt prot)
    {
        ulong clear = (prot & VmProt.Write) == 0 ? PageEntry.RW : 0;
        ulong set = (prot & VmProt.Execute) == 0 ? PageEntry.XD : 0;
        bool shootall = eva - sva > 32 * PageSize && !pm.IsKernel;
        for (ulong va = sva, blkend; va < eva; va = blkend)
        {
            blkend = Math.Min((va + PdeSize) & ~(PdeSize - 1), eva);
            ulong pt = PmapPdesValid(cpu, pm, va);
            if (pt == 0) continue;
            for (ulong v = va; v < blkend; v += PageSize)
            {
                ulong slot = Slot(pt, v, 3);
                ulong e = ReadPte(cpu, slot);
                if ((e & PageEntry.P) == 0) continue;
                ulong n = (e & ~clear) | set;
                if (n != e) WritePte(cpu, slot, n);
            }
        }
        bool shootself = PmapIsCurpmap(cpu, pm);
        if (shootall) PmapTlbShoottlb(cpu, pm, shootself);
        else PmapTlbShootrange(cpu, pm, sva, eva, shootself);
        PmapTlbShootwait(cpu);
    }
}
