using MiniBSD.Hal.Memory;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using MiniBSD.Hal.Registers;

namespace MiniBSD.Hal.Mmu;

/// <summary>
/// The stage-1 table walk of the EL1&amp;0 regime with the 4 KiB granule, restated from the Arm ARM pseudocode
/// as QEMU's get_phys_addr_lpae implements it (reference §2.5). Fault priority within one walk:
/// TxSZ / VA range / EPD (level 0) -> TTBR base address size (level 0) -> per level: external abort on the read,
/// invalid or disallowed encoding (translation), output address size -> access flag -> permission.
/// </summary>
public static class TableWalker
{
    /// <summary>What the caller wants from a walk besides its result.</summary>
    /// <param name="CheckPermission">False for the checker, which compares the permissions a walk computes rather than one access.</param>
    /// <param name="IgnoreEpd">True for the checker: EPDx = 1 stops walks on a miss but leaves cached entries usable, so a
    /// hit is compared with what the tables say.</param>
    public readonly record struct Options(bool El0, bool Pan, bool UpdateDescriptors, WalkTrace? Trace = null, bool CheckPermission = true, bool IgnoreEpd = false);

    /// <summary>
    /// Translates <paramref name="va"/> for <paramref name="access"/>. With <see cref="Options.UpdateDescriptors"/>
    /// the walk performs TCR.HA/HD hardware updates in memory; the checker's and the explainer's walks do not.
    /// </summary>
    public static WalkResult Walk(PhysicalMemory memory, TranslationRegime regime, ulong va, AccessType access, in Options options)
    {
        if (!regime.MmuEnabled) return TranslateFlat(regime, va, access, options.Trace);
        var range = regime.RangeFor(va);
        var trace = options.Trace;
        if (range.TxszOutOfRange)
            return Stop(trace, WalkResult.Faulted(FaultKind.Translation, 0, 0), $"T{range.Select}SZ={range.Txsz} is outside 16..39: translation fault, level 0");
        if (!range.InRange(va))
            return Stop(trace, WalkResult.Faulted(FaultKind.Translation, 0, 0), $"VA bits [{(range.Tbi ? 55 : 63)}:{range.InputBits}] are not all equal to VA[55]={range.Select}: translation fault, level 0");
        if (range.Epd && !options.IgnoreEpd)
            return Stop(trace, WalkResult.Faulted(FaultKind.Translation, 0, 0), $"TCR_EL1.EPD{range.Select}=1: no walk through TTBR{range.Select}, translation fault, level 0");
        return WalkTables(memory, regime, range, va, access, options);
    }

    private static WalkResult WalkTables(PhysicalMemory memory, TranslationRegime regime, in VaRange range, ulong va, AccessType access, in Options options)
    {
        var trace = options.Trace;
        int outputBits = regime.OutputBits;
        int level = range.StartLevel;
        trace?.Note($"TTBR{range.Select}_EL1 selected (VA[55]={range.Select}); {range.InputBits}-bit input, start level {level}, {regime.OutputBits}-bit output");
        // The base is TTBR[47:0] checked against the output size, then aligned to the start table's size (Q-ptw).
        ulong table = range.Ttbr & 0x0000_FFFF_FFFF_FFFF;
        if ((table >> outputBits) != 0)
            return Stop(trace, WalkResult.Faulted(FaultKind.AddressSize, 0, 0), $"table base 0x{table:X} exceeds the {outputBits}-bit output size: address size fault, level 0");
        int indexBits = range.StartIndexBits;
        table &= ~((1UL << (indexBits + 3)) - 1);
        ulong tableAttrs = 0; // bits 63:59 of every table descriptor on the way, ORed
        for (int reads = 1; ; reads++, level++, indexBits = 9)
        {
            int shift = 12 + 9 * (3 - level);
            int index = (int)((va >> shift) & ((1UL << indexBits) - 1));
            ulong descPa = table + (ulong)index * 8;
            if (!ReadDescriptor(memory, regime, descPa, out ulong raw))
                return Stop(trace, WalkResult.Faulted(FaultKind.ExternalAbortOnWalk, level, reads), $"descriptor address 0x{descPa:X} is not backed by RAM: synchronous external abort on walk, level {level}");
            trace?.Steps.Add(new WalkStep(level, table, index, descPa, raw));
            var d = new Descriptor(raw);
            // Invalid, the level 3 reserved encoding, or a block where none is allowed (only L1/L2 with DS=0).
            if (!d.IsValid || (d.IsBlockEncoding && level is 0 or 3))
                return Stop(trace, WalkResult.Faulted(FaultKind.Translation, level, reads), $"level {level}: {d.Describe(level)}: translation fault, level {level}");
            if ((d.Address >> outputBits) != 0)
                return Stop(trace, WalkResult.Faulted(FaultKind.AddressSize, level, reads), $"level {level}: address 0x{d.Address:X} exceeds the {outputBits}-bit output size: address size fault, level {level}");
            if (d.IsTableOrPage && level < 3)
            {
                tableAttrs |= raw & 0xF800_0000_0000_0000;
                table = d.Address;
                continue;
            }
            return Leaf(memory, regime, range, va, access, options, level, shift, descPa, raw, tableAttrs, reads);
        }
    }

    private static WalkResult Leaf(PhysicalMemory memory, TranslationRegime regime, in VaRange range, ulong va, AccessType access,
        in Options options, int level, int shift, ulong descPa, ulong raw, ulong tableAttrs, int reads)
    {
        var trace = options.Trace;
        ulong updated = raw;
        if ((raw & Descriptor.AfBit) == 0)
        {
            if (!regime.HardwareAccessFlag)
                return Stop(trace, WalkResult.Faulted(FaultKind.AccessFlag, level, reads), $"level {level}: AF=0 and TCR_EL1.HA=0: access flag fault, level {level}");
            updated |= Descriptor.AfBit; // TCR_EL1.HA: the walker sets AF itself
        }
        bool dbm = regime.HardwareDirty && (raw & Descriptor.DbmBit) != 0;
        if (dbm && access == AccessType.Write)
            updated &= ~Descriptor.Ap2Bit; // TCR_EL1.HD with DBM=1: a write makes the entry writable (dirty)
        ulong effective = updated;
        if (!range.Hpd)
        {
            // Table attributes only remove rights: XNTable/PXNTable OR in, APTable[0] clears AP[1], APTable[1] sets AP[2].
            if ((tableAttrs & Descriptor.UxnTableBit) != 0) effective |= Descriptor.UxnBit;
            if ((tableAttrs & Descriptor.PxnTableBit) != 0) effective |= Descriptor.PxnBit;
            if ((tableAttrs & Descriptor.ApTable0Bit) != 0) effective &= ~Descriptor.Ap1Bit;
            if ((tableAttrs & Descriptor.ApTable1Bit) != 0) effective |= Descriptor.Ap2Bit;
        }
        var e = new Descriptor(effective);
        var perms = PermissionRules.Compute(e.Ap, e.Uxn, e.Pxn, regime.Sctlr.Wxn);
        if (options.CheckPermission && !perms.Allows(access, options.El0, options.Pan))
            return Stop(trace, WalkResult.Faulted(FaultKind.Permission, level, reads),
                $"level {level}: {perms.Describe()}{(options.Pan && !options.El0 ? " (PAN=1)" : "")} does not allow EL{(options.El0 ? 0 : 1)} {access.ToString().ToLowerInvariant()}: permission fault, level {level}");
        if (updated != raw && options.UpdateDescriptors)
            memory.Write64(descPa, regime.BigEndianWalks ? BinaryPrimitives.ReverseEndianness(updated) : updated);
        var result = new WalkResult
        {
            Level = level,
            Shift = shift,
            OutputBase = updated & Descriptor.AddressMask & ~((1UL << shift) - 1),
            Permissions = perms,
            Attr = regime.Mair.Attr(e.AttrIndx),
            Sh = e.Sh,
            NotGlobal = e.NotGlobal,
            DirtyPending = dbm && (effective & Descriptor.Ap2Bit) != 0 && (raw & Descriptor.Ap2Bit) != 0 && (tableAttrs & Descriptor.ApTable1Bit) == 0,
            Descriptor = updated,
            DescriptorAddress = descPa,
            Reads = reads,
        };
        if (trace is not null)
        {
            if (updated != raw) trace.Note($"hardware update of the descriptor at 0x{descPa:X}: 0x{raw:X16} -> 0x{updated:X16}{(options.UpdateDescriptors ? "" : " (not written: side-effect-free walk)")}");
            trace.Note($"permissions after table attributes{(range.Hpd ? " (ignored: HPD=1)" : "")}: {perms.Describe()}; memory: {Mair.Describe(result.Attr)}");
            trace.Outcome = $"level {level} leaf: PA 0x{result.PhysicalAddress(va):X}";
        }
        return result;
    }

    /// <summary>
    /// SCTLR_EL1.M = 0: the output address is the VA, which must fit PARange (else an address size fault at
    /// level 0); data accesses are Device-nGnRnE, instruction fetches Normal (Q-ptw get_phys_addr_disabled).
    /// </summary>
    private static WalkResult TranslateFlat(TranslationRegime regime, ulong va, AccessType access, WalkTrace? trace)
    {
        var range = regime.RangeFor(va);
        int addrTop = range.Tbi ? 55 : 63;
        ulong above = (va >> regime.PaBits) & ((1UL << (addrTop - regime.PaBits + 1)) - 1);
        if (above != 0)
            return Stop(trace, WalkResult.Faulted(FaultKind.AddressSize, 0, 0), $"MMU off and VA 0x{va:X} exceeds the {regime.PaBits}-bit physical address size: address size fault, level 0");
        bool fetch = access == AccessType.Execute;
        byte attr = fetch ? (regime.Sctlr.I ? (byte)0xEE : Mair.NormalNonCacheable) : Mair.DeviceNGnRnE;
        var all = Permissions.El0Read | Permissions.El0Write | Permissions.El0Execute | Permissions.El1Read | Permissions.El1Write | Permissions.El1Execute;
        var r = new WalkResult { Level = 0, Shift = 12, OutputBase = va & 0x000F_FFFF_FFFF_F000, Permissions = all, Attr = attr, Sh = 0b10 };
        if (trace is not null) trace.Outcome = $"MMU off (SCTLR_EL1.M=0): flat mapping, PA 0x{r.PhysicalAddress(va):X}, {Mair.Describe(attr)}";
        return r;
    }

    /// <summary>Reads a descriptor; SCTLR_EL1.EE = 1 makes EL1&amp;0 walks big-endian.</summary>
    private static bool ReadDescriptor(PhysicalMemory memory, TranslationRegime regime, ulong pa, out ulong raw)
    {
        if (!memory.TryRead64(pa, out raw)) return false;
        if (regime.BigEndianWalks) raw = BinaryPrimitives.ReverseEndianness(raw);
        return true;
    }

    private static WalkResult Stop(WalkTrace? trace, WalkResult result, [InterpolatedStringHandlerArgument(nameof(trace))] ref TraceMessage why)
    {
        if (trace is not null) trace.Outcome = why.ToStringAndClear();
        return result;
    }
}
