namespace MiniBSD.Kernel.Uvm;

/// <summary>
/// struct vm_anon (OpenBSD uvm_anon.h): one page of anonymous memory and how many amap slots refer to it. Two
/// references mean the page is shared copy-on-write: the first write copies it. Anons come from a pool
/// (uvm_anon_pool), so faults allocate no host objects once it is warm.
/// </summary>
public sealed class VmAnon
{
    /// <summary>an_ref.</summary>
    public int Ref { get; internal set; }

    /// <summary>an_page: the physical page.</summary>
    public ulong Page { get; internal set; }
}

/// <summary>
/// struct vm_amap (OpenBSD uvm_amap.h): an array of anon slots, one per page of the map entries that use it.
/// <see cref="Ref"/> counts the entries that refer to it (pieces of a clipped entry, a forked child's entry);
/// <see cref="PageRefs"/> counts, per slot, how many of those entries cover it (OpenBSD's am_ppref), so unmapping
/// one entry releases exactly the anons no other entry still covers.
/// </summary>
public sealed class VmAmap
{
    public VmAmap(int slots)
    {
        Anons = new VmAnon?[slots];
        PageRefs = new int[slots];
        Array.Fill(PageRefs, 1);
    }

    /// <summary>amap_extend: <paramref name="slots"/> more slots at the end, empty and covered once.</summary>
    internal void Extend(int slots)
    {
        int old = Anons.Length;
        var anons = Anons;
        var refs = PageRefs;
        Array.Resize(ref anons, old + slots);
        Array.Resize(ref refs, old + slots);
        refs.AsSpan(old).Fill(1);
        (Anons, PageRefs) = (anons, refs);
    }

    /// <summary>am_ref.</summary>
    public int Ref { get; internal set; } = 1;

    /// <summary>am_anon[]: null where no page was ever touched.</summary>
    public VmAnon?[] Anons { get; private set; }

    /// <summary>am_ppref: entries covering each slot.</summary>
    public int[] PageRefs { get; private set; }

    public int Slots => Anons.Length;
}
