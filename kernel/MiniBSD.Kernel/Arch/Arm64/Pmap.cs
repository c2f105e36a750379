namespace MiniBSD.Kernel.Arch.Arm64;

/// <summary>
/// struct pmap (OpenBSD arm64 pmap.h): one address space's translation tables and ASID. The tables are real
/// descriptors in emulated RAM under <see cref="L0"/>; the functions that change them are <see cref="PmapSystem"/>'s,
/// named after pmap.c's. Locks: none yet (MiniBSD's kernel runs one CPU's code at a time between yield points).
/// </summary>
public sealed class Arm64Pmap : Uvm.Pmap
{
    internal Arm64Pmap(ulong l0, bool isKernel) : base(l0, isKernel) => Pt0Pa = l0;

    /// <summary>The L0 table of this address space (<see cref="Uvm.Pmap.Root"/>).</summary>
    public ulong L0 => Root;

    /// <summary>pm_pt0pa: the table loaded into TTBR0 on activation (the kernel's empty table after pmap_purge).</summary>
    public ulong Pt0Pa { get; internal set; }

    /// <summary>pm_asid: generation | ASID number (0 for the kernel pmap).</summary>
    public ulong Asid { get; internal set; }

    public ushort AsidNumber => PmapAsid.Number(Asid);

    public override string ToString() =>
        $"pmap L0 0x{L0:X} ASID 0x{AsidNumber:X} (gen 0x{Asid >> 16:X}) active {Active} refs {Refs} resident {ResidentCount} tables {TablePages}";
}
