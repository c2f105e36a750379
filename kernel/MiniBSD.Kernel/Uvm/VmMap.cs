using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Uvm;

/// <summary>
/// struct vm_map (OpenBSD uvm_map.h): the entries of an address space, ordered by address, and its pmap. OpenBSD
/// keeps them in a red-black tree; MiniBSD keeps a sorted list (the same order, binary-search lookups), and
/// <see cref="TeardownOrder"/> visits it breadth-first as uvm_map_teardown visits its tree.
/// </summary>
public sealed class VmMap(Pmap pmap, ulong min, ulong max)
{
    private readonly List<VmMapEntry> _entries = [];

    public Pmap Pmap { get; } = pmap;
    public ulong Min { get; } = min;
    public ulong Max { get; } = max;
    public IReadOnlyList<VmMapEntry> Entries => _entries;

    /// <summary>Bytes mapped (guard regions included), as map->size.</summary>
    public ulong Size => _entries.Aggregate(0UL, (sum, e) => sum + (e.End - e.Start));

    /// <summary>uvm_map_lookup_entry: the entry containing <paramref name="va"/>, or null.</summary>
    public VmMapEntry? Lookup(ulong va)
    {
        int i = IndexAtOrBefore(va);
        return i >= 0 && va < _entries[i].End ? _entries[i] : null;
    }

    /// <summary>Entries that overlap [<paramref name="start"/>, <paramref name="end"/>), in order.</summary>
    public List<VmMapEntry> Overlapping(ulong start, ulong end)
    {
        var hit = new List<VmMapEntry>();
        for (int i = Math.Max(IndexAtOrBefore(start), 0); i < _entries.Count && _entries[i].Start < end; i++)
            if (_entries[i].End > start) hit.Add(_entries[i]);
        return hit;
    }

    /// <summary>True when no entry overlaps the range.</summary>
    public bool IsFree(ulong start, ulong end)
    {
        if (start < Min || end > Max || start >= end) return false;
        int i = IndexAtOrBefore(start);   // the entries are sorted and disjoint: only this one and the next can overlap
        if (i >= 0 && _entries[i].End > start) return false;
        return i + 1 >= _entries.Count || _entries[i + 1].Start >= end;
    }

    /// <summary>The lowest free range of <paramref name="length"/> bytes at or above <paramref name="hint"/>, or 0.</summary>
    public ulong FindSpace(ulong length, ulong hint)
    {
        ulong at = Math.Max(hint, Min);
        foreach (var e in _entries)
        {
            if (e.End <= at) continue;
            if (e.Start >= at + length) break;
            at = e.End;
        }
        return at + length <= Max && at + length > at ? at : 0;
    }

    internal void Insert(VmMapEntry entry)
    {
        Kassert(IsFree(entry.Start, entry.End), "uvm_map_insert: {0} overlaps the map or leaves [0x{1:X}, 0x{2:X})", entry, Min, Max);
        int i = IndexAtOrBefore(entry.Start) + 1;
        _entries.Insert(i, entry);
    }

    internal void Remove(VmMapEntry entry) => Kassert(_entries.Remove(entry), "uvm_map_remove: {0} is not in the map", entry);

    internal void Clear() => _entries.Clear();

    /// <summary>
    /// uvm_map_clip_start / uvm_map_clip_end: splits the entry at <paramref name="va"/> so an entry starts there.
    /// Both pieces keep the amap (one more reference; the per-slot counts are unchanged, since each slot is still
    /// covered once) and the object (one more reference).
    /// </summary>
    internal void Clip(ulong va)
    {
        var e = Lookup(va);
        if (e is null || e.Start == va) return;
        var tail = e.CloneShape();
        tail.Start = va;
        tail.AmapOffset = e.Amap is null ? 0 : e.Slot(va);
        tail.ObjectOffset = e.Object is null ? 0 : e.ObjectPage(va);
        e.End = va;
        if (e.Amap is not null) e.Amap.Ref++;
        if (e.Object is not null) e.Object.Ref++;
        Insert(tail);
    }

    /// <summary>
    /// Fills <paramref name="order"/> (one slot an entry) with the entries' indices in the order a breadth-first walk
    /// of a balanced tree of them visits them. Allocates nothing for maps of up to 256 entries.
    /// </summary>
    public void TeardownOrder(Span<int> order)
    {
        Kassert(order.Length == _entries.Count, "uvm_map_teardown: {0} slots for {1} entries", order.Length, _entries.Count);
        int n = order.Length;
        if (n == 0) return;
        Span<long> queue = n <= 256 ? stackalloc long[n] : new long[n];   // (lo << 32 | hi); at most one a visit
        int head = 0, tail = 0;
        queue[tail++] = n - 1;
        for (int visited = 0; head < tail; visited++)
        {
            long range = queue[head++];
            int lo = (int)(range >> 32), hi = (int)range, mid = lo + (hi - lo) / 2;
            order[visited] = mid;
            if (lo <= mid - 1) queue[tail++] = ((long)lo << 32) | (uint)(mid - 1);
            if (mid + 1 <= hi) queue[tail++] = ((long)(mid + 1) << 32) | (uint)hi;
        }
    }

    private int IndexAtOrBefore(ulong va)
    {
        int lo = 0, hi = _entries.Count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            if (_entries[mid].Start <= va) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        return found;
    }
}

/// <summary>
/// struct vmspace (OpenBSD uvm_extern.h): a process's address space: the map (with its pmap), a reference count,
/// and the data segment obreak grows.
/// </summary>
public sealed class Vmspace(VmMap map)
{
    public VmMap Map { get; } = map;
    public Pmap Pmap => Map.Pmap;

    /// <summary>vm_refcnt.</summary>
    public int Ref { get; internal set; } = 1;

    /// <summary>vm_daddr: start of the data segment (the heap obreak moves the end of).</summary>
    public ulong DataStart { get; internal set; } = VmLayout.DataStart;

    /// <summary>The current break: end of the data segment.</summary>
    public ulong Break { get; internal set; } = VmLayout.DataStart;
}

/// <summary>Where things go in a user address space.</summary>
public static class VmLayout
{
    /// <summary>Lowest user address mappings may use (page 0 stays unmapped, as does the first MiB).</summary>
    public const ulong UserMin = Abi.UserLayout.TextStart;

    /// <summary>Data and heap start here; obreak grows it upwards.</summary>
    public const ulong DataStart = Abi.UserLayout.DataStart;

    /// <summary>mmap without MAP_FIXED places mappings from here upwards.</summary>
    public const ulong MmapBase = Abi.UserLayout.MmapBase;

    /// <summary>Most a process may obreak (a data-size limit).</summary>
    public const ulong MaxData = 1UL << 30;
}
