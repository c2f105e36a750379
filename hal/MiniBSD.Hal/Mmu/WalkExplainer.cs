using MiniBSD.Hal.Registers;

namespace MiniBSD.Hal.Mmu;

/// <summary>The words of the translation explainer: why a traced walk went where it went and where it stopped.</summary>
internal static class WalkExplainer
{
    public static void RangeFault(WalkTrace t, in VaRange r, ulong va, bool ignoreEpd) => t.Outcome =
        r.TxszOutOfRange ? $"T{r.Select}SZ={r.Txsz} is outside 16..39: translation fault, level 0"
        : !r.InRange(va) ? $"VA bits [{(r.Tbi ? 55 : 63)}:{r.InputBits}] are not all equal to VA[55]={r.Select}: translation fault, level 0"
        : $"TCR_EL1.EPD{r.Select}=1: no walk through TTBR{r.Select}, translation fault, level 0";

    public static void Start(WalkTrace t, in VaRange r, int outputBits) =>
        t.Note($"TTBR{r.Select}_EL1 selected (VA[55]={r.Select}); {r.InputBits}-bit input, start level {r.StartLevel}, {outputBits}-bit output");

    public static void BaseTooWide(WalkTrace t, ulong table, int outputBits) =>
        t.Outcome = $"table base 0x{table:X} exceeds the {outputBits}-bit output size: address size fault, level 0";

    public static void NoRam(WalkTrace t, ulong descriptorPa, int level) =>
        t.Outcome = $"descriptor address 0x{descriptorPa:X} is not backed by RAM: synchronous external abort on walk, level {level}";

    public static void Invalid(WalkTrace t, Descriptor d, int level) =>
        t.Outcome = $"level {level}: {d.Describe(level)}: translation fault, level {level}";

    public static void AddressTooWide(WalkTrace t, Descriptor d, int level, int outputBits) =>
        t.Outcome = $"level {level}: address 0x{d.Address:X} exceeds the {outputBits}-bit output size: address size fault, level {level}";

    public static void AccessFlag(WalkTrace t, int level) =>
        t.Outcome = $"level {level}: AF=0 and TCR_EL1.HA=0: access flag fault, level {level}";

    public static void Permission(WalkTrace t, int level, Permissions perms, AccessType access, bool el0, bool pan) =>
        t.Outcome = $"level {level}: {perms.Describe()}{(pan && !el0 ? " (PAN=1)" : "")} does not allow EL{(el0 ? 0 : 1)} {access.ToString().ToLowerInvariant()}: permission fault, level {level}";

    public static void Leaf(WalkTrace t, in WalkResult r, ulong raw, ulong va, bool hpd, bool written)
    {
        if (r.Descriptor != raw)
            t.Note($"hardware update of the descriptor at 0x{r.DescriptorAddress:X}: 0x{raw:X16} -> 0x{r.Descriptor:X16}{(written ? "" : " (not written: side-effect-free walk)")}");
        t.Note($"permissions after table attributes{(hpd ? " (ignored: HPD=1)" : "")}: {r.Permissions.Describe()}; memory: {Mair.Describe(r.Attr)}");
        t.Outcome = $"level {r.Level} leaf: PA 0x{r.PhysicalAddress(va):X}";
    }

    public static void FlatTooWide(WalkTrace t, ulong va, int paBits) =>
        t.Outcome = $"MMU off and VA 0x{va:X} exceeds the {paBits}-bit physical address size: address size fault, level 0";

    public static void Flat(WalkTrace t, ulong pa, byte attr) =>
        t.Outcome = $"MMU off (SCTLR_EL1.M=0): flat mapping, PA 0x{pa:X}, {Mair.Describe(attr)}";
}
