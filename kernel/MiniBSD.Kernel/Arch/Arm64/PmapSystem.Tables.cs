using MiniBSD.Hal;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Tlb;
using MiniBSD.Kernel.Uvm;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Arch.Arm64;

public sealed partial class PmapSystem
{
    /// <summary>Reads a descriptor through the direct map with this CPU's load (the kernel's own memory access).</summary>
    private Descriptor ReadPte(Cpu cpu, ulong pa)
    {
        if (!cpu.TryRead64(Locore.DirectMap(_machine, pa), out ulong v)) DirectMapFault(cpu, pa, "read");
        return new Descriptor(v);
    }

    /// <summary>Writes a descriptor through the direct map with this CPU's store.</summary>
    private void WritePte(Cpu cpu, ulong pa, Descriptor d)
    {
        if (!cpu.TryWrite64(Locore.DirectMap(_machine, pa), d.Value)) DirectMapFault(cpu, pa, "write");
    }

    /// <summary>The slot address for <paramref name="va"/> at <paramref name="level"/> within a table.</summary>
    private static ulong Slot(ulong table, ulong va, int level) => table + PmapBootstrap.Index(va, level) * 8;

    /// <summary>pmap_vp_lookup: the L3 slot for <paramref name="va"/>, or 0 when a table on the way is absent.</summary>
    private ulong VpLookup(Cpu cpu, Arm64Pmap pm, ulong va)
    {
        ulong table = pm.L0;
        for (int level = 0; level < 3; level++)
        {
            var d = ReadPte(cpu, Slot(table, va, level));
            if (!d.IsValid) return 0;
            if (!d.IsTableOrPage) BlockInUserTables(level, va);
            table = d.Address;
        }
        return Slot(table, va, 3);
    }

    /// <summary>Throw helpers, so the hot paths carry no string-formatting state.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void DirectMapFault(Cpu cpu, ulong pa, string what) =>
        throw Panic($"pmap: cannot {what} the table entry at 0x{pa:X} through the direct map ({cpu.Esr})");

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void BlockInUserTables(int level, ulong va) =>
        throw Panic($"pmap_vp_lookup: block at level {level} for VA 0x{va:X}");

    /// <summary>
    /// pmap_vp_enter: the L3 slot for <paramref name="va"/>, allocating zeroed tables on the way (invalid to valid:
    /// no TLBI, reference §4.4). False when no page is left for a table.
    /// </summary>
    private bool VpEnter(Cpu cpu, Arm64Pmap pm, ulong va, out ulong slot)
    {
        ulong table = pm.L0;
        slot = 0;
        for (int level = 0; level < 3; level++)
        {
            ulong at = Slot(table, va, level);
            var d = ReadPte(cpu, at);
            if (!d.IsValid)
            {
                if (!_pages.TryAlloc(cpu, PageUse.PageTable, zero: true, out ulong next)) return false;
                pm.TablePages++;
                d = Descriptor.Table(next);
                WritePte(cpu, at, d);
            }
            table = d.Address;
        }
        cpu.Dsb(BarrierOption.Ishst);
        slot = Slot(table, va, 3);
        return true;
    }

    /// <summary>
    /// ttlb_flush (OpenBSD arm64, 2025): nothing while the pmap is active nowhere (its entries are unusable and
    /// pmap_purge or pmap_free_asid will drop them by ASID); else DSB ISHST, TLBI VAE1IS for the VA and the pmap's
    /// ASID, and with pairs for pm_asid | ASID_USER too (VAALE1IS, all ASIDs, for the kernel pmap), DSB ISH, ISB.
    /// </summary>
    private void TtlbFlush(Cpu cpu, Arm64Pmap pm, ulong va)
    {
        if (pm.Active == 0) return;
        cpu.Dsb(BarrierOption.Ishst);
        if (pm.IsKernel) cpu.Tlbi(TlbiOp.Vaale1Is, TlbiOpExtensions.Operand(va));
        else
        {
            cpu.Tlbi(TlbiOp.Vae1Is, TlbiOpExtensions.Operand(va, pm.AsidNumber));
            if (AsidPair) cpu.Tlbi(TlbiOp.Vae1Is, TlbiOpExtensions.Operand(va, (ushort)(pm.AsidNumber | PmapAsid.AsidUser)));
        }
        cpu.Dsb(BarrierOption.Ish);
        cpu.Isb();
    }

    /// <summary>cpu_tlb_flush_asid_all for pm_asid (and pm_asid | ASID_USER with pairs): every entry, on every CPU.</summary>
    private void FlushAsid(Cpu cpu, Arm64Pmap pm)
    {
        cpu.Dsb(BarrierOption.Ishst);
        cpu.Tlbi(TlbiOp.Aside1Is, TlbiOpExtensions.Operand(0, pm.AsidNumber));
        if (AsidPair) cpu.Tlbi(TlbiOp.Aside1Is, TlbiOpExtensions.Operand(0, (ushort)(pm.AsidNumber | PmapAsid.AsidUser)));
        cpu.Dsb(BarrierOption.Ish);
        cpu.Isb();
    }
}
