using MiniBSD.Hal;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Mmu;
using MiniBSD.Kernel.Uvm;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Arch.Arm64;

public sealed partial class PmapSystem
{
    /// <summary>
    /// pmap_enter: maps the page at <paramref name="va"/> to <paramref name="pa"/> with <paramref name="prot"/>,
    /// allocating tables on demand. Replacing a valid entry that maps another frame or other attributes is done
    /// break-before-make (invalid entry, TLB invalidation, new entry; reference §4.4); a change of permissions only
    /// is one store followed by the invalidation. False (ENOMEM) when no page is left for a table.
    /// </summary>
    public bool PmapEnter(Cpu cpu, Pmap pmap, ulong va, ulong pa, VmProt prot)
    {
        var pm = Md(pmap);
        pm.AssertEnter(va, pa, prot, VmParam.DirectMapBase, VmParam.VmMaxUserAddress);
        if (!VpEnter(cpu, pm, va, out ulong slot)) return false;
        var old = ReadPte(cpu, slot);
        var pte = MakePte(pm, pa, prot);
        if (!old.IsValid)
        {
            pm.ResidentCount++;
            WritePte(cpu, slot, pte);
            cpu.Dsb(BarrierOption.Ishst);
            _pages.Mapped(pa);
            return true;
        }
        if (old.Value == pte.Value) return true;
        if (NeedsBreakBeforeMake(old, pte))
        {
            WritePte(cpu, slot, Descriptor.Invalid);
            TtlbFlush(cpu, pm, va);
            WritePte(cpu, slot, pte);
            cpu.Dsb(BarrierOption.Ishst);
            _pages.Unmapped(old.Address);
            _pages.Mapped(pa);
            return true;
        }
        WritePte(cpu, slot, pte);
        TtlbFlush(cpu, pm, va);
        return true;
    }

    /// <summary>pmap_extract: the physical address <paramref name="va"/> maps to, if it is mapped.</summary>
    public bool PmapExtract(Cpu cpu, Pmap pmap, ulong va, out ulong pa)
    {
        var pm = Md(pmap);
        pa = 0;
        ulong slot = VpLookup(cpu, pm, va);
        if (slot == 0) return false;
        var pte = ReadPte(cpu, slot);
        if (!pte.IsValid) return false;
        pa = pte.Address | (va & 0xFFF);
        return true;
    }

    /// <summary>
    /// pmap_protect: changes the permissions of the mapped pages of [<paramref name="sva"/>, <paramref name="eva"/>);
    /// without PROT_READ the pages are removed instead, as OpenBSD does. Each changed entry is one store and
    /// ttlb_flush.
    /// </summary>
    public void PmapProtect(Cpu cpu, Pmap pmap, ulong sva, ulong eva, VmProt prot)
    {
        var pm = Md(pmap);
        if ((prot & VmProt.Read) == 0)
        {
            PmapRemove(cpu, pm, sva, eva);
            return;
        }
        for (ulong va = sva & ~0xFFFUL; va < eva; va += 0x1000)
        {
            ulong slot = VpLookup(cpu, pm, va);
            if (slot == 0) continue;
            var old = ReadPte(cpu, slot);
            if (!old.IsValid) continue;
            var pte = MakePte(pm, old.Address, prot);
            if (pte.Value == old.Value) continue;
            WritePte(cpu, slot, pte);
            TtlbFlush(cpu, pm, va);
        }
    }

    /// <summary>
    /// The leaf descriptor for a mapping: Normal write-back memory, inner shareable, AF set. User pages are nG (tagged
    /// with the ASID), EL0-accessible, never executable at EL1; kernel pages are global and never executable at EL0.
    /// </summary>
    private static Descriptor MakePte(Arm64Pmap pm, ulong pa, VmProt prot)
    {
        bool write = (prot & VmProt.Write) != 0, exec = (prot & VmProt.Execute) != 0;
        if (pm.IsKernel)
            return Descriptor.Page(pa, write ? Pte.ApKernelRw : Pte.ApKernelRo, Pte.AttrNormal, ng: false, pxn: !exec, uxn: true);
        return Descriptor.Page(pa, write ? Pte.ApUserRw : Pte.ApUserRo, Pte.AttrNormal, ng: true, pxn: true, uxn: !exec);
    }

    /// <summary>Break-before-make is required when the output address, memory type, shareability or nG changes.</summary>
    private static bool NeedsBreakBeforeMake(Descriptor old, Descriptor pte) =>
        old.Address != pte.Address || old.AttrIndx != pte.AttrIndx || old.Sh != pte.Sh || old.NotGlobal != pte.NotGlobal;
}
