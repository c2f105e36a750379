using MiniBSD.Hal.Mmu;

namespace MiniBSD.Hal.Tlb;

/// <summary>
/// One cached leaf translation. <see cref="Key"/> is VA[55:shift] with bit 0 set when the entry is valid,
/// so an empty slot (Key = 0) never matches. Global entries (nG = 0) match every ASID.
/// </summary>
public struct TlbEntry
{
    public ulong Key;
    public ulong OutputBase;
    public ulong Descriptor;
    public ulong DescriptorAddress;
    public ushort Asid;
    public bool Global;
    public byte Level;
    public byte Attr;
    public byte Sh;
    public Permissions Permissions;
    public bool DirtyPending;

    public readonly bool Valid => (Key & 1) != 0;
    public readonly int Shift => 12 + 9 * (3 - Level);
    public readonly ulong Size => 1UL << Shift;
    /// <summary>The first VA (bits [55:0]) the entry translates.</summary>
    public readonly ulong VaBase => Key & ~1UL;
    /// <summary><see cref="VaBase"/> with bit 55 copied into the top byte: the VA as software writes it.</summary>
    public readonly ulong Va => ((VaBase >> 55) & 1) != 0 ? VaBase | 0xFF00_0000_0000_0000 : VaBase;
    public readonly ulong PhysicalAddress(ulong va) => OutputBase | (va & (Size - 1));

    /// <summary>True when the entry covers VA[55:0] and is usable under <paramref name="asid"/>.</summary>
    public readonly bool Matches(ulong va56, ushort asid) =>
        Valid && (va56 & ~(Size - 1)) == VaBase && (Global || Asid == asid);

    public override readonly string ToString() =>
        Valid ? $"VA 0x{Va:X} -> PA 0x{OutputBase:X} L{Level} {(Global ? "global" : $"ASID 0x{Asid:X}")} {Permissions.Describe()} desc 0x{Descriptor:X16}@0x{DescriptorAddress:X}" : "empty";
}
