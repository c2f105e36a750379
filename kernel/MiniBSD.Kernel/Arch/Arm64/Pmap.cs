namespace MiniBSD.Kernel.Arch.Arm64;

/// <summary>
/// struct pmap (OpenBSD arm64 pmap.h): one address space's translation tables and ASID. The tables are real
/// descriptors in emulated RAM under <see cref="L0"/>; the functions that change them are <see cref="PmapSystem"/>'s,
/// named after pmap.c's. Locks: none yet (MiniBSD's kernel runs one CPU's code at a time between yield points).
/// </summary>
public sealed class Pmap
{
    internal Pmap(ulong l0, bool isKernel)
    {
        L0 = l0;
        Pt0Pa = l0;
        IsKernel = isKernel;
        Refs = 1;
    }

    /// <summary>The L0 table of this address space.</summary>
    public ulong L0 { get; }

    /// <summary>pm_pt0pa: the table loaded into TTBR0 on activation (the kernel's empty table after pmap_purge).</summary>
    public ulong Pt0Pa { get; internal set; }

    /// <summary>pm_asid: generation | ASID number (0 for the kernel pmap).</summary>
    public ulong Asid { get; internal set; }

    /// <summary>pm_active: how many threads have this pmap activated.</summary>
    public int Active { get; internal set; }

    /// <summary>pm_refs.</summary>
    public int Refs { get; internal set; }

    /// <summary>pm_stats.resident_count: valid leaf entries.</summary>
    public long ResidentCount { get; internal set; }

    /// <summary>Translation table pages this pmap owns, L0 included.</summary>
    public int TablePages { get; internal set; } = 1;

    /// <summary>pm_active has dropped back to 0 (or pmap_purge ran): the pmap never runs again.</summary>
    public bool Retired { get; internal set; }

    public bool IsKernel { get; }
    public bool Destroyed { get; internal set; }

    public ushort AsidNumber => PmapAsid.Number(Asid);

    public override string ToString() =>
        $"pmap L0 0x{L0:X} ASID 0x{AsidNumber:X} (gen 0x{Asid >> 16:X}) active {Active} refs {Refs} resident {ResidentCount} tables {TablePages}";
}
