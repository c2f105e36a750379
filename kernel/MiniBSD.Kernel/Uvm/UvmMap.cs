using MiniBSD.Hal;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Uvm;

public sealed partial class Uvm
{
    /// <summary>uvmspace_alloc: an empty address space with its own pmap; null when no page is left for the pmap.</summary>
    public Vmspace? UvmspaceAlloc(Cpu cpu)
    {
        var pm = Pmaps.PmapCreate(cpu);
        return pm is null ? null : new Vmspace(new VmMap(pm, VmLayout.UserMin, Pmaps.VmMaxUserAddress));
    }

    /// <summary>
    /// uvm_map for anonymous memory: inserts an entry for [<paramref name="start"/>, +<paramref name="length"/>).
    /// The amap comes at the first fault. The range must be free.
    /// </summary>
    public VmMapEntry UvmMapAnon(VmMap map, ulong start, ulong length, VmProt prot, VmProt maxProt, VmInherit inherit)
    {
        Kassert((start & 0xFFF) == 0 && (length & 0xFFF) == 0 && length > 0, "uvm_map: bad range 0x{0:X}+0x{1:X}", start, length);
        var entry = new VmMapEntry { Start = start, End = start + length, Protection = prot, MaxProtection = maxProt, Inheritance = inherit };
        map.Insert(entry);
        return entry;
    }

    /// <summary>
    /// uvm_unmap_remove: clips at both ends and kills every entry in [<paramref name="start"/>, <paramref name="end"/>):
    /// pmap_remove over the entry, then its anons lose their references.
    /// </summary>
    public void UvmUnmapRemove(Cpu cpu, VmMap map, ulong start, ulong end)
    {
        map.Clip(start);
        map.Clip(end);
        foreach (var entry in map.Overlapping(start, end))
        {
            UvmUnmapKillEntry(cpu, map, entry);
            map.Remove(entry);
        }
    }

    /// <summary>
    /// uvm_unmap_kill_entry: pmap_remove over the entry's whole span (one call per entry), then drop its amap and
    /// its object reference.
    /// </summary>
    private void UvmUnmapKillEntry(Cpu cpu, VmMap map, VmMapEntry entry, PmapFlush flush = PmapFlush.WhenActive)
    {
        if (!entry.IsGuard) Pmaps.PmapRemove(cpu, map.Pmap, entry.Start, entry.End, flush);
        AmapUnref(cpu, entry);
        if (entry.Object is { } obj)
        {
            entry.Object = null;
            UvmObjectUnref(cpu, obj);
        }
    }

    /// <summary>
    /// uvm_map of an object: maps <paramref name="pages"/> pages of <paramref name="obj"/> from page
    /// <paramref name="offset"/> at <paramref name="start"/>. The mapping is private: reads and fetches use the
    /// object's pages (shared by every mapping of it), a write copies the page into an anon first. One more reference
    /// to the object.
    /// </summary>
    public VmMapEntry UvmMapObject(VmMap map, ulong start, UvmObject obj, int offset, int pages, VmProt prot, VmProt maxProt)
    {
        Kassert(offset >= 0 && pages > 0 && offset + pages <= obj.PageCount, "uvm_map: pages {0}+{1} outside an object of {2}", offset, pages, obj.PageCount);
        var entry = UvmMapAnon(map, start, (ulong)pages << 12, prot, maxProt, VmInherit.Copy);
        entry.Object = obj;
        entry.ObjectOffset = offset;
        UvmObjectReference(obj);
        return entry;
    }

    /// <summary>
    /// uvmspace_exec: an address space for the new program image. When nobody else shares the vmspace it is reused,
    /// emptied (its pmap kept); otherwise the process gets a fresh one and drops its reference to the old.
    /// The program's segments are then mapped by the exec code with <see cref="UvmMapObject"/> and
    /// <see cref="UvmMapAnon"/>. Null on ENOMEM.
    /// </summary>
    public Vmspace? UvmspaceExec(Cpu cpu, Vmspace vm)
    {
        if (vm.Ref == 1)
        {
            UvmMapTeardown(cpu, vm.Map);
            vm.DataStart = vm.Break = VmLayout.DataStart;
            return vm;
        }
        var fresh = UvmspaceAlloc(cpu);
        if (fresh is not null) UvmspaceFree(cpu, vm);
        return fresh;
    }

    /// <summary>
    /// uvm_map_protect: new protection for [<paramref name="start"/>, <paramref name="end"/>); EACCES-style failure
    /// (false) when it exceeds an entry's maximum protection, with nothing changed. Pages already mapped get the new
    /// protection minus write: a write then faults, so copy-on-write pages are copied first.
    /// </summary>
    public bool UvmMapProtect(Cpu cpu, VmMap map, ulong start, ulong end, VmProt prot)
    {
        var hit = map.Overlapping(start, end);
        if (hit.Any(e => (prot & ~e.MaxProtection) != 0)) return false;
        map.Clip(start);
        map.Clip(end);
        foreach (var entry in map.Overlapping(start, end))
        {
            entry.Protection = prot;
            Pmaps.PmapProtect(cpu, map.Pmap, entry.Start, entry.End, prot & ~VmProt.Write);
        }
        return true;
    }

    /// <summary>
    /// uvm_map_teardown: kills every entry, visiting them breadth-first as OpenBSD walks its tree, and leaves the map
    /// empty, so a second teardown finds nothing to do.
    /// </summary>
    /// <remarks><paramref name="flush"/> <see cref="PmapFlush.Never"/> is the purge-broken exit path's mistake.</remarks>
    public void UvmMapTeardown(Cpu cpu, VmMap map, PmapFlush flush = PmapFlush.WhenActive)
    {
        int n = map.Entries.Count;
        Span<int> order = n <= 256 ? stackalloc int[n] : new int[n];
        map.TeardownOrder(order);
        foreach (int i in order) UvmUnmapKillEntry(cpu, map, map.Entries[i], flush);
        map.Clear();
    }

    /// <summary>uvmspace_purge: tear down the user mappings (OpenBSD 2025: called from uvm_purge in exit1).</summary>
    public void UvmspacePurge(Cpu cpu, Vmspace vm, PmapFlush flush = PmapFlush.WhenActive) => UvmMapTeardown(cpu, vm.Map, flush);

    /// <summary>uvmspace_addref: one more user of the address space (a vfork parent, a kernel peek, proc0's sharing).</summary>
    public static void UvmspaceAddref(Vmspace vm)
    {
        Kassert(vm.Ref > 0, "uvmspace_addref: vmspace already freed");
        vm.Ref++;
    }

    /// <summary>uvmspace_free: drop a reference; at the last, a sanity purge, then pmap_destroy.</summary>
    public void UvmspaceFree(Cpu cpu, Vmspace vm)
    {
        Kassert(vm.Ref > 0, "uvmspace_free: vmspace already freed");
        if (--vm.Ref > 0) return;
        UvmspacePurge(cpu, vm);
        Pmaps.PmapDestroy(cpu, vm.Pmap);
    }

    /// <summary>
    /// uvmspace_fork: a child address space by each entry's inheritance. Share: the child's entry uses the same amap.
    /// Copy: both entries share the amap copy-on-write (NeedsCopy), and the parent's mapped pages lose write
    /// permission so its next write faults too. None: the child does not get the range. Null on ENOMEM.
    /// </summary>
    public Vmspace? UvmspaceFork(Cpu cpu, Vmspace parent)
    {
        var child = UvmspaceAlloc(cpu);
        if (child is null) return null;
        child.DataStart = parent.DataStart;
        child.Break = parent.Break;
        var entries = parent.Map.Entries;
        for (int i = 0; i < entries.Count; i++)   // by index: foreach over the interface would box an enumerator
        {
            var entry = entries[i];
            if (entry.Inheritance == VmInherit.None) continue;
            if (entry.Inheritance == VmInherit.Share)
            {
                // uvm_mapent_forkshared: both sides must see the same anons, including ones not yet faulted in.
                if (entry.NeedsCopy) AmapCopy(cpu, entry);
                if (entry.Amap is null && !entry.IsGuard && entry.Object is null) AmapAlloc(entry);
            }
            var copy = entry.CloneShape();
            copy.Amap = null;
            AmapShare(entry, copy);
            if (copy.Object is not null) UvmObjectReference(copy.Object);
            if (entry.Inheritance == VmInherit.Copy && (entry.Amap is not null || entry.Object is not null))
            {
                entry.NeedsCopy = copy.NeedsCopy = true;
                if ((entry.Protection & VmProt.Write) != 0)
                    Pmaps.PmapProtect(cpu, parent.Pmap, entry.Start, entry.End, entry.Protection & ~VmProt.Write);
            }
            child.Map.Insert(copy);
        }
        return child;
    }
}
