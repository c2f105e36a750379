namespace MiniBSD.Hal.Mmu;

/// <summary>
/// A VMSAv8-64 stage-1 descriptor for the 4 KiB granule (reference §2.1-2.3), named after the Arm ARM fields.
/// The same 64 bits read as a table, block or page descriptor depending on bits [1:0] and the level.
/// </summary>
public readonly record struct Descriptor(ulong Value)
{
    public const ulong ValidBit = 1UL << 0;
    public const ulong TableOrPageBit = 1UL << 1;
    public const ulong NsBit = 1UL << 5;
    /// <summary>AP[1] (bit 6): EL0 may access.</summary>
    public const ulong Ap1Bit = 1UL << 6;
    /// <summary>AP[2] (bit 7): read-only.</summary>
    public const ulong Ap2Bit = 1UL << 7;
    public const ulong AfBit = 1UL << 10;
    public const ulong NgBit = 1UL << 11;
    public const ulong GpBit = 1UL << 50;
    public const ulong DbmBit = 1UL << 51;
    public const ulong ContiguousBit = 1UL << 52;
    public const ulong PxnBit = 1UL << 53;
    public const ulong UxnBit = 1UL << 54;
    public const ulong PxnTableBit = 1UL << 59;
    public const ulong UxnTableBit = 1UL << 60;
    /// <summary>APTable[0] (bit 61): no EL0 access below.</summary>
    public const ulong ApTable0Bit = 1UL << 61;
    /// <summary>APTable[1] (bit 62): no writes at any EL below.</summary>
    public const ulong ApTable1Bit = 1UL << 62;
    public const ulong NsTableBit = 1UL << 63;
    /// <summary>Output/next-table address bits [47:12].</summary>
    public const ulong AddressMask = 0x0000_FFFF_FFFF_F000;

    public bool IsValid => (Value & ValidBit) != 0;
    /// <summary>Bits [1:0] = 0b11: a table descriptor at L0-L2, a page descriptor at L3.</summary>
    public bool IsTableOrPage => (Value & 3) == 3;
    /// <summary>Bits [1:0] = 0b01: a block at L1/L2; invalid at L0 (DS=0) and reserved at L3.</summary>
    public bool IsBlockEncoding => (Value & 3) == 1;
    public ulong Address => Value & AddressMask;
    public int AttrIndx => (int)((Value >> 2) & 7);
    public bool Ns => (Value & NsBit) != 0;
    /// <summary>AP[2:1], bits [7:6].</summary>
    public int Ap => (int)((Value >> 6) & 3);
    public int Sh => (int)((Value >> 8) & 3);
    public bool Af => (Value & AfBit) != 0;
    public bool NotGlobal => (Value & NgBit) != 0;
    public bool Dbm => (Value & DbmBit) != 0;
    public bool Contiguous => (Value & ContiguousBit) != 0;
    public bool Pxn => (Value & PxnBit) != 0;
    public bool Uxn => (Value & UxnBit) != 0;
    public bool PxnTable => (Value & PxnTableBit) != 0;
    public bool UxnTable => (Value & UxnTableBit) != 0;
    /// <summary>APTable, bits [62:61].</summary>
    public int ApTable => (int)((Value >> 61) & 3);
    public bool NsTable => (Value & NsTableBit) != 0;

    public static Descriptor Invalid => default;

    /// <summary>A table descriptor pointing at the next-level table (reference §2.2).</summary>
    public static Descriptor Table(ulong nextTablePa, bool pxnTable = false, bool uxnTable = false, int apTable = 0) =>
        new((nextTablePa & AddressMask) | 3 | (pxnTable ? PxnTableBit : 0) | (uxnTable ? UxnTableBit : 0) | (ulong)(apTable & 3) << 61);

    /// <summary>An L3 page descriptor (reference §2.3).</summary>
    public static Descriptor Page(ulong pa, int ap, int attrIndx = 0, int sh = 0b11, bool af = true, bool ng = false,
        bool pxn = false, bool uxn = false, bool dbm = false) =>
        new(Leaf(pa, ap, attrIndx, sh, af, ng, pxn, uxn, dbm) | 3);

    /// <summary>An L1 (1 GiB) or L2 (2 MiB) block descriptor (reference §2.3).</summary>
    public static Descriptor Block(ulong pa, int ap, int attrIndx = 0, int sh = 0b11, bool af = true, bool ng = false,
        bool pxn = false, bool uxn = false, bool dbm = false) =>
        new(Leaf(pa, ap, attrIndx, sh, af, ng, pxn, uxn, dbm) | 1);

    private static ulong Leaf(ulong pa, int ap, int attrIndx, int sh, bool af, bool ng, bool pxn, bool uxn, bool dbm) =>
        (pa & AddressMask) | (ulong)(attrIndx & 7) << 2 | (ulong)(ap & 3) << 6 | (ulong)(sh & 3) << 8
        | (af ? AfBit : 0) | (ng ? NgBit : 0) | (pxn ? PxnBit : 0) | (uxn ? UxnBit : 0) | (dbm ? DbmBit : 0);

    /// <summary>Decodes the descriptor as the walker sees it at <paramref name="level"/>, for the explainer.</summary>
    public string Describe(int level)
    {
        if (!IsValid) return "invalid (bit 0 = 0)";
        if (IsBlockEncoding && level == 0) return "block encoding at level 0: invalid with the 4 KiB granule and DS=0";
        if (IsBlockEncoding && level == 3) return "reserved encoding 0b01 at level 3";
        if (IsTableOrPage && level < 3)
            return $"table -> 0x{Address:X}" + (ApTable != 0 ? $" APTable={Convert.ToString(ApTable, 2).PadLeft(2, '0')}" : "")
                + (UxnTable ? " UXNTable" : "") + (PxnTable ? " PXNTable" : "") + (NsTable ? " NSTable" : "");
        string kind = level == 3 ? "page" : level == 2 ? "2 MiB block" : "1 GiB block";
        return $"{kind} -> 0x{Address:X} AttrIndx={AttrIndx} AP={Convert.ToString(Ap, 2).PadLeft(2, '0')} SH={Convert.ToString(Sh, 2).PadLeft(2, '0')}"
            + $" AF={B(Af)} nG={B(NotGlobal)} PXN={B(Pxn)} UXN={B(Uxn)}" + (Dbm ? " DBM" : "") + (Contiguous ? " Contiguous" : "");
    }

    private static int B(bool b) => b ? 1 : 0;

    public override string ToString() => $"0x{Value:X16}";
}
