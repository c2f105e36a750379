using System.Buffers.Binary;
using MiniBSD.Hal.Memory;
using MiniBSD.Hal.Registers;

namespace MiniBSD.Hal.Mmu;

/// <summary>
/// The stage-1 table walk of the EL1&amp;0 regime with the 4 KiB granule, restated from the Arm ARM pseudocode
/// as QEMU's get_phys_addr_lpae implements it (reference §2.5). Fault priority within one walk:
/// TxSZ / VA range / EPD (level 0) -> TTBR base address size (level 0) -> per level: external abort on the read,
/// invalid or disallowed encoding (translation), output address size -> access flag -> permission.
/// Explanations for a <see cref="WalkTrace"/> are written by <see cref="WalkExplainer"/>, only when one is given,
/// so the untraced walk carries no string work.
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
        ref readonly var range = ref regime.RangeFor(va);
        var trace = options.Trace;
        if (range.TxszOutOfRange || !range.InRange(va) || (range.Epd && !options.IgnoreEpd))
        {
            if (trace is not null) WalkExplainer.RangeFault(trace, range, va, options.IgnoreEpd);
            return WalkResult.Faulted(FaultKind.Translation, 0, 0);
        }
        return WalkTables(memory, regime, range, va, access, options);
    }

    private static WalkResult WalkTables(PhysicalMemory memory, TranslationRegime regime, in VaRange range, ulong va, AccessType access, in Options options)
    {
        var trace = options.Trace;
        int outputBits = regime.OutputBits;
        int level = range.StartLevel;
        if (trace is not null) WalkExplainer.Start(trace, range, outputBits);
        // The base is TTBR[47:0] checked against the output size, then aligned to the start table's size (Q-ptw).
        ulong table = range.Ttbr & 0x0000_FFFF_FFFF_FFFF;
        if ((table >> outputBits) != 0)
        {
            if (trace is not null) WalkExplainer.BaseTooWide(trace, table, outputBits);
            return WalkResult.Faulted(FaultKind.AddressSize, 0, 0);
        }
        int indexBits = range.StartIndexBits;
        table &= ~((1UL << (indexBits + 3)) - 1);
        ulong tableAttrs = 0; // bits 63:59 of every table descriptor on the way, ORed
        for (int reads = 1; ; reads++, level++, indexBits = 9)
        {
            int shift = 12 + 9 * (3 - level);
            int index = (int)((va >> shift) & ((1UL << indexBits) - 1));
            ulong descPa = table + (ulong)index * 8;
            if (!ReadDescriptor(memory, regime, descPa, out ulong raw))
            {
                if (trace is not null) WalkExplainer.NoRam(trace, descPa, level);
                return WalkResult.Faulted(FaultKind.ExternalAbortOnWalk, level, reads);
            }
            trace?.Steps.Add(new WalkStep(level, table, index, descPa, raw));
            var d = new Descriptor(raw);
            // Invalid, the level 3 reserved encoding, or a block where none is allowed (only L1/L2 with DS=0).
            if (!d.IsValid || (d.IsBlockEncoding && level is 0 or 3))
            {
                if (trace is not null) WalkExplainer.Invalid(trace, d, level);
                return WalkResult.Faulted(FaultKind.Translation, level, reads);
            }
            if ((d.Address >> outputBits) != 0)
            {
                if (trace is not null) WalkExplainer.AddressTooWide(trace, d, level, outputBits);
                return WalkResult.Faulted(FaultKind.AddressSize, level, reads);
            }
            if (d.IsTableOrPage && level < 3)
            {
                tableAttrs |= raw & 0xF800_0000_0000_0000;
                table = d.Address;
                continue;
            }
            return Leaf(memory, regime, range, va, access, options, new LeafAt(level, shift, descPa, raw, tableAttrs, reads));
        }
    }

    /// <summary>Where the walk found its leaf, and what the tables above it said.</summary>
    private readonly record struct LeafAt(int Level, int Shift, ulong Address, ulong Raw, ulong TableAttrs, int Reads);

    private static WalkResult Leaf(PhysicalMemory memory, TranslationRegime regime, in VaRange range, ulong va, AccessType access,
        in Options options, in LeafAt at)
    {
        var trace = options.Trace;
        ulong raw = at.Raw, updated = raw;
        if ((raw & Descriptor.AfBit) == 0)
        {
            if (!regime.HardwareAccessFlag)
            {
                if (trace is not null) WalkExplainer.AccessFlag(trace, at.Level);
                return WalkResult.Faulted(FaultKind.AccessFlag, at.Level, at.Reads);
            }
            updated |= Descriptor.AfBit; // TCR_EL1.HA: the walker sets AF itself
        }
        bool dbm = regime.HardwareDirty && (raw & Descriptor.DbmBit) != 0;
        if (dbm && access == AccessType.Write)
            updated &= ~Descriptor.Ap2Bit; // TCR_EL1.HD with DBM=1: a write makes the entry writable (dirty)
        var e = new Descriptor(range.Hpd ? updated : ApplyTableAttributes(updated, at.TableAttrs));
        var perms = PermissionRules.Compute(e.Ap, e.Uxn, e.Pxn, regime.Wxn);
        if (options.CheckPermission && !perms.Allows(access, options.El0, options.Pan))
        {
            if (trace is not null) WalkExplainer.Permission(trace, at.Level, perms, access, options.El0, options.Pan);
            return WalkResult.Faulted(FaultKind.Permission, at.Level, at.Reads);
        }
        if (updated != raw && options.UpdateDescriptors)
            memory.Write64(at.Address, regime.BigEndianWalks ? BinaryPrimitives.ReverseEndianness(updated) : updated);
        var result = new WalkResult
        {
            Level = at.Level,
            Shift = at.Shift,
            OutputBase = updated & Descriptor.AddressMask & ~((1UL << at.Shift) - 1),
            Permissions = perms,
            Attr = regime.Mair.Attr(e.AttrIndx),
            Sh = e.Sh,
            NotGlobal = e.NotGlobal,
            DirtyPending = dbm && e.Ap >= 0b10 && (raw & Descriptor.Ap2Bit) != 0 && (at.TableAttrs & Descriptor.ApTable1Bit) == 0,
            Descriptor = updated,
            DescriptorAddress = at.Address,
            Reads = at.Reads,
        };
        if (trace is not null) WalkExplainer.Leaf(trace, result, raw, va, range.Hpd, options.UpdateDescriptors);
        return result;
    }

    /// <summary>Table attributes only remove rights: XNTable/PXNTable OR in, APTable[0] clears AP[1], APTable[1] sets AP[2].</summary>
    private static ulong ApplyTableAttributes(ulong leaf, ulong tableAttrs)
    {
        if ((tableAttrs & Descriptor.UxnTableBit) != 0) leaf |= Descriptor.UxnBit;
        if ((tableAttrs & Descriptor.PxnTableBit) != 0) leaf |= Descriptor.PxnBit;
        if ((tableAttrs & Descriptor.ApTable0Bit) != 0) leaf &= ~Descriptor.Ap1Bit;
        if ((tableAttrs & Descriptor.ApTable1Bit) != 0) leaf |= Descriptor.Ap2Bit;
        return leaf;
    }

    /// <summary>
    /// SCTLR_EL1.M = 0: the output address is the VA, which must fit PARange (else an address size fault at
    /// level 0); data accesses are Device-nGnRnE, instruction fetches Normal (Q-ptw get_phys_addr_disabled).
    /// </summary>
    private static WalkResult TranslateFlat(TranslationRegime regime, ulong va, AccessType access, WalkTrace? trace)
    {
        ref readonly var range = ref regime.RangeFor(va);
        int addrTop = range.Tbi ? 55 : 63;
        ulong above = (va >> regime.PaBits) & ((1UL << (addrTop - regime.PaBits + 1)) - 1);
        if (above != 0)
        {
            if (trace is not null) WalkExplainer.FlatTooWide(trace, va, regime.PaBits);
            return WalkResult.Faulted(FaultKind.AddressSize, 0, 0);
        }
        bool fetch = access == AccessType.Execute;
        byte attr = fetch ? (regime.Sctlr.I ? (byte)0xEE : Mair.NormalNonCacheable) : Mair.DeviceNGnRnE;
        var all = Permissions.El0Read | Permissions.El0Write | Permissions.El0Execute | Permissions.El1Read | Permissions.El1Write | Permissions.El1Execute;
        var r = new WalkResult { Level = 0, Shift = 12, OutputBase = va & 0x000F_FFFF_FFFF_F000, Permissions = all, Attr = attr, Sh = 0b10 };
        if (trace is not null) WalkExplainer.Flat(trace, r.PhysicalAddress(va), attr);
        return r;
    }

    /// <summary>Reads a descriptor; SCTLR_EL1.EE = 1 makes EL1&amp;0 walks big-endian.</summary>
    private static bool ReadDescriptor(PhysicalMemory memory, TranslationRegime regime, ulong pa, out ulong raw)
    {
        if (!memory.TryRead64(pa, out raw)) return false;
        if (regime.BigEndianWalks) raw = BinaryPrimitives.ReverseEndianness(raw);
        return true;
    }
}
