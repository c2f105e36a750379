namespace MiniBSD.Hal.Tlb;

/// <summary>
/// The stage-1 EL1&amp;0 TLB maintenance operations (reference §4.2-4.3). The value is op2 | CRm &lt;&lt; 3 of the
/// SYS encoding (op1 = 0, CRn = 8): CRm = 7 is this PE only, CRm = 3 is Inner Shareable (every PE).
/// </summary>
public enum TlbiOp : byte
{
    Vmalle1 = 0 | 7 << 3,
    Vae1 = 1 | 7 << 3,
    Aside1 = 2 | 7 << 3,
    Vaae1 = 3 | 7 << 3,
    Vale1 = 5 | 7 << 3,
    Vaale1 = 7 | 7 << 3,
    Vmalle1Is = 0 | 3 << 3,
    Vae1Is = 1 | 3 << 3,
    Aside1Is = 2 | 3 << 3,
    Vaae1Is = 3 | 3 << 3,
    Vale1Is = 5 | 3 << 3,
    Vaale1Is = 7 | 3 << 3,
}

public static class TlbiOpExtensions
{
    public static bool IsBroadcast(this TlbiOp op) => ((int)op >> 3) == 3;
    public static int Op2(this TlbiOp op) => (int)op & 7;
    public static int Crm(this TlbiOp op) => (int)op >> 3;
    /// <summary>VMALLE1 takes no operand (Rt = 31).</summary>
    public static bool HasOperand(this TlbiOp op) => op.Op2() != 0;
    /// <summary>The *L* forms remove only last-level (leaf) entries.</summary>
    public static bool LastLevelOnly(this TlbiOp op) => op.Op2() is 5 or 7;
    /// <summary>VAA* forms: any ASID.</summary>
    public static bool AllAsids(this TlbiOp op) => op.Op2() is 3 or 7;
    public static bool ByVa(this TlbiOp op) => op.Op2() is 1 or 3 or 5 or 7;

    public static string Mnemonic(this TlbiOp op) => op switch
    {
        TlbiOp.Vmalle1 => "vmalle1",
        TlbiOp.Vae1 => "vae1",
        TlbiOp.Aside1 => "aside1",
        TlbiOp.Vaae1 => "vaae1",
        TlbiOp.Vale1 => "vale1",
        TlbiOp.Vaale1 => "vaale1",
        TlbiOp.Vmalle1Is => "vmalle1is",
        TlbiOp.Vae1Is => "vae1is",
        TlbiOp.Aside1Is => "aside1is",
        TlbiOp.Vaae1Is => "vaae1is",
        TlbiOp.Vale1Is => "vale1is",
        TlbiOp.Vaale1Is => "vaale1is",
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    /// <summary>Every operation, in encoding order, for tables and counters.</summary>
    public static IReadOnlyList<TlbiOp> All { get; } = Array.AsReadOnly(Enum.GetValues<TlbiOp>());

    /// <summary>
    /// The Xt operand of the by-VA and by-ASID forms (reference §4.1): ASID in [63:48], VA[55:12] in [43:0].
    /// </summary>
    public static ulong Operand(ulong va, ushort asid = 0) => (ulong)asid << 48 | ((va >> 12) & 0xFFF_FFFF_FFFF);
}
