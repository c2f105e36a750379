using MiniBSD.Hal;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Uvm;

public sealed partial class Uvm
{
    /// <summary>amap_alloc: a fresh amap for the whole entry, every slot covered once by it.</summary>
    private static void AmapAlloc(VmMapEntry entry)
    {
        Kassert(entry.Amap is null, "amap_alloc: {0} already has an amap", entry);
        entry.Amap = new VmAmap((int)entry.Pages);
        entry.AmapOffset = 0;
    }

    /// <summary>
    /// amap_copy: gives the entry a private amap holding the same anons (each gains a reference, so the first write
    /// to any of them copies it) and drops the entry's share of the old amap. Clears NeedsCopy.
    /// </summary>
    private void AmapCopy(Cpu cpu, VmMapEntry entry)
    {
        var old = entry.Amap;
        if (old is null || old.Ref == 1)
        {
            entry.NeedsCopy = false; // nobody else uses the amap any more: it is already private
            return;
        }
        var copy = new VmAmap((int)entry.Pages);
        for (int i = 0; i < copy.Slots; i++)
        {
            var anon = old.Anons[entry.AmapOffset + i];
            if (anon is null) continue;
            anon.Ref++;
            copy.Anons[i] = anon;
        }
        AmapUnref(cpu, entry);
        entry.Amap = copy;
        entry.AmapOffset = 0;
        entry.NeedsCopy = false;
    }

    /// <summary>
    /// amap_unref for one entry: the slots it covers lose a reference; an anon that no entry covers any more loses its
    /// slot (uvm_anfree at the last anon reference frees the page).
    /// </summary>
    private void AmapUnref(Cpu cpu, VmMapEntry entry)
    {
        var amap = entry.Amap;
        if (amap is null) return;
        for (int i = 0; i < (int)entry.Pages; i++)
        {
            int slot = entry.AmapOffset + i;
            if (--amap.PageRefs[slot] > 0 || amap.Anons[slot] is not { } anon) continue;
            AnonUnref(cpu, anon);
            amap.Anons[slot] = null;   // a reference store costs a write barrier: only where there was an anon
        }
        amap.Ref--;
        entry.Amap = null;
    }

    /// <summary>uvm_anfree at the last reference: the page goes back to the allocator, the anon to the pool.</summary>
    private void AnonUnref(Cpu cpu, VmAnon anon)
    {
        Kassert(anon.Ref > 0, "uvm_anfree: anon already free");
        if (--anon.Ref > 0) return;
        Pages.Free(cpu, anon.Page);
        anon.Page = 0;
        _anonPool.Push(anon);
    }

    /// <summary>uvm_analloc: an anon from the pool holding <paramref name="page"/>, one reference.</summary>
    private VmAnon AnonAlloc(ulong page)
    {
        var anon = _anonPool.Count > 0 ? _anonPool.Pop() : new VmAnon();
        anon.Ref = 1;
        anon.Page = page;
        return anon;
    }

    /// <summary>Shares an entry's amap with a new entry covering the same slots (fork): one more reference each.</summary>
    private static void AmapShare(VmMapEntry from, VmMapEntry to)
    {
        var amap = from.Amap;
        if (amap is null) return;
        amap.Ref++;
        for (int i = 0; i < (int)from.Pages; i++) amap.PageRefs[from.AmapOffset + i]++;
        to.Amap = amap;
        to.AmapOffset = from.AmapOffset;
    }

    /// <summary>A new anon with a zeroed page, or null when memory is exhausted.</summary>
    private VmAnon? AnonAllocZeroed(Cpu cpu) =>
        Pages.TryAlloc(cpu, PageUse.Anon, zero: true, out ulong pa) ? AnonAlloc(pa) : null;
}
