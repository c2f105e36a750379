using MiniBSD.Hal;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Uvm;

/// <summary>What uvm_fault concluded (OpenBSD returns 0, EFAULT-like KERN_INVALID_ADDRESS, KERN_PROTECTION_FAILURE, ENOMEM).</summary>
public enum FaultResult : byte
{
    /// <summary>The page is mapped now; the access can be retried.</summary>
    Resolved,
    /// <summary>No entry maps the address (SIGSEGV, SEGV_MAPERR).</summary>
    InvalidAddress,
    /// <summary>The entry does not allow the access (SIGSEGV, SEGV_ACCERR).</summary>
    ProtectionFailure,
    /// <summary>No page was left (the process is killed, or waits, as the caller decides).</summary>
    NoMemory,
}

public sealed partial class Uvm
{
    /// <summary>
    /// uvm_fault: makes <paramref name="va"/> accessible for <paramref name="access"/> if the map allows it.
    /// Anon layer first, then the object layer (program text and data: mapped read-only from the shared object, or
    /// copied into an anon on a write). Zero-fill: a fresh zeroed anon. Copy-on-write: a write to an anon shared with another amap (after fork) copies
    /// it, or takes it over when this is its last reference; a read maps it read-only. NeedsCopy entries get their
    /// own amap at the first write. The pmap entry is made with the entry's protection, minus write while the page is
    /// shared.
    /// </summary>
    public FaultResult UvmFault(Cpu cpu, VmMap map, ulong va, VmProt access)
    {
        Kassert(access is VmProt.Read or VmProt.Write or VmProt.Execute, "uvm_fault: access must be one of read, write, execute (was {0})", access);
        ulong page = va & ~0xFFFUL;
        Exp.Faults++;
        var entry = map.Lookup(page);
        if (entry is null || (entry.Protection & access) == 0)
        {
            Exp.Failed++;
            return entry is null ? FaultResult.InvalidAddress : FaultResult.ProtectionFailure;
        }
        bool write = access == VmProt.Write;
        if (write && entry.NeedsCopy) AmapCopy(cpu, entry);
        var existing = entry.Amap?.Anons[entry.Slot(page)];
        if (existing is null && entry.Object is { } obj && !write)
        {
            // The object layer: map the shared object page, never writable (a write must copy it first).
            ulong objectPage = obj.Pages[entry.ObjectPage(page)];
            Exp.ObjectMap++;
            return Pmaps.PmapEnter(cpu, map.Pmap, page, objectPage, entry.Protection & ~VmProt.Write) ? FaultResult.Resolved : FaultResult.NoMemory;
        }
        if (entry.Amap is null) AmapAlloc(entry);
        var amap = entry.Amap!;
        int slot = entry.Slot(page);
        var anon = amap.Anons[slot];
        if (anon is null)
        {
            // Zero-fill, or promote the object's page into a private anon (copy-on-write of text or data).
            anon = entry.Object is { } source ? AnonCopyPage(cpu, source.Pages[entry.ObjectPage(page)]) : AnonAllocZeroed(cpu);
            if (anon is null) return Fail();
            if (entry.Object is null) Exp.ZeroFill++;
            else Exp.ObjectCopy++;
            amap.Anons[slot] = anon;
        }
        else if (write && anon.Ref > 1)
        {
            var copy = AnonCopyPage(cpu, anon.Page);                       // copy-on-write: break the sharing
            if (copy is null) return Fail();
            Exp.AnonCopy++;
            AnonUnref(cpu, anon);
            amap.Anons[slot] = anon = copy;
        }
        else Exp.AnonMap++;
        var prot = entry.Protection;
        if (anon.Ref > 1 || entry.NeedsCopy) prot &= ~VmProt.Write;       // still shared: a later write must fault
        return Pmaps.PmapEnter(cpu, map.Pmap, page, anon.Page, prot) ? FaultResult.Resolved : FaultResult.NoMemory;
    }

    private FaultResult Fail()
    {
        Exp.Failed++;
        return FaultResult.NoMemory;
    }

    /// <summary>uvm_pagecopy into a fresh anon, or null when memory is exhausted.</summary>
    private VmAnon? AnonCopyPage(Cpu cpu, ulong from)
    {
        if (!Pages.TryAlloc(cpu, PageUse.Anon, zero: false, out ulong pa)) return null;
        cpu.CopyFrame(pa, from);
        return AnonAlloc(pa);
    }
}
