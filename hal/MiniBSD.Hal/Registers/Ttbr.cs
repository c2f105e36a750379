namespace MiniBSD.Hal.Registers;

/// <summary>TTBR0_EL1 / TTBR1_EL1: ASID in [63:48], table base in [47:1], CnP in bit 0 (reference §1.3).</summary>
public readonly record struct Ttbr(ulong Value)
{
    public ushort Asid => (ushort)(Value >> 48);
    /// <summary>BADDR, bits [47:1] (the walker aligns it down to the start table's size).</summary>
    public ulong BaseAddress => Value & 0x0000_FFFF_FFFF_FFFE;
    public bool Cnp => (Value & 1) != 0;

    public static Ttbr Create(ulong tableBase, ushort asid = 0) => new((ulong)asid << 48 | (tableBase & 0x0000_FFFF_FFFF_FFFE));

    public override string ToString() => $"0x{Value:X16} (ASID=0x{Asid:X} BADDR=0x{BaseAddress:X})";
}
