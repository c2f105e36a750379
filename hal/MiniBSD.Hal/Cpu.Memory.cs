using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MiniBSD.Hal.Memory;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Registers;
using MiniBSD.Hal.Tlb;

namespace MiniBSD.Hal;

public sealed partial class Cpu
{
    /// <summary>
    /// LDR Xt, [va]: an 8-byte load at the current EL. False when the access took a synchronous exception
    /// (ESR_EL1/FAR_EL1 say why and the CPU is now at EL1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryRead64(ulong va, out ulong value)
    {
        if ((va & ~0xFF8UL) == _readPageTag)
        {
            Counters.TlbHits++;
            Clock += _hitCost;
            value = PageWord(_readPageWords, va);
            return true;
        }
        var (ok, slow) = TryRead64Slow(va); // a pair returned in registers keeps the caller's value out of memory
        value = slow;
        return ok;
    }

    /// <summary>
    /// LDR Xt, [va] <paramref name="times"/> times over: the first as <see cref="TryRead64"/> (it may miss and walk), the
    /// rest TLB hits of the translation it left, charged and counted as that many hits without being made one by one.
    /// For a loop that reloads one entry for every page of an absent subtree (pmap_remove over a whole address
    /// space): the same cycles and counters as the loads themselves, in host time that does not grow with the count.
    /// </summary>
    public bool TryRead64Repeated(ulong va, long times, out ulong value)
    {
        if (!TryRead64(va, out value)) return false;
        if (times > 1) ChargeHits(times - 1);
        return true;
    }

    /// <summary>
    /// The load just made, <paramref name="times"/> more times: each a TLB hit of the translation it left, charged and
    /// counted as such (for the same reason as <see cref="TryRead64Repeated"/>, when the count is known only later).
    /// </summary>
    public void RepeatLoad(long times)
    {
        if (times > 0) ChargeHits(times);
    }

    /// <summary>STR Xt, [va]: an 8-byte store at the current EL; false when it took an exception.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite64(ulong va, ulong value)
    {
        if ((va & ~0xFF8UL) == _writePageTag)
        {
            Counters.TlbHits++;
            Clock += _hitCost;
            PageWord(_writePageWords, va) = value;
            return true;
        }
        return TryWrite64Slow(va, value);
    }

    /// <summary>
    /// A port for a run of accesses by the code running on this CPU, such as a time slice of a user program:
    /// the same loads and stores, with the hits of the last-page cache counted in the port and charged to the
    /// clock and counters when it is disposed (or before any slower access), as QEMU charges icount per block.
    /// </summary>
    public MemoryPort OpenMemoryPort() => new(this);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private (bool Ok, ulong Value) TryRead64Slow(ulong va)
    {
        ref var slot = ref MicroSlot(_microRead, va);
        if (slot.Tag == (va & ~0xFF8UL))
        {
            Counters.TlbHits++;
            Clock += _hitCost;
            if (slot.Tag == _readSlotTag) (_readPageTag, _readPageWords) = (slot.Tag, slot.Words);
            else _readSlotTag = slot.Tag;
            return (true, PageWord(slot.Words, va));
        }
        return TryRead64Full(va);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private (bool Ok, ulong Value) TryRead64Full(ulong va)
    {
        bool ok = TryAccess(va, 8, AccessType.Read, El == 0, out ulong value, 0);
        return (ok, value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryWrite64Slow(ulong va, ulong value)
    {
        ref var slot = ref MicroSlot(_microWrite, va);
        if (slot.Tag == (va & ~0xFF8UL))
        {
            Counters.TlbHits++;
            Clock += _hitCost;
            if (slot.Tag == _writeSlotTag) (_writePageTag, _writePageWords) = (slot.Tag, slot.Words);
            else _writeSlotTag = slot.Tag;
            PageWord(slot.Words, va) = value;
            return true;
        }
        return TryAccess(va, 8, AccessType.Write, El == 0, out _, value);
    }

    /// <summary>A load of 1, 2, 4 or 8 bytes at the current EL (unaligned allowed unless SCTLR_EL1.A or Device memory).</summary>
    public bool TryRead(ulong va, int size, out ulong value) => TryAccess(va, CheckSize(size), AccessType.Read, El == 0, out value, 0);

    /// <summary>A store of 1, 2, 4 or 8 bytes at the current EL.</summary>
    public bool TryWrite(ulong va, int size, ulong value) => TryAccess(va, CheckSize(size), AccessType.Write, El == 0, out _, value);

    /// <summary>LDTR: an unprivileged load. At EL1 it is checked as EL0 would be (PAN does not apply), as copyin needs.</summary>
    public bool TryReadUnprivileged(ulong va, int size, out ulong value) => TryAccess(va, CheckSize(size), AccessType.Read, el0: true, out value, 0);

    /// <summary>STTR: an unprivileged store, checked as EL0, as copyout needs.</summary>
    public bool TryWriteUnprivileged(ulong va, int size, ulong value) => TryAccess(va, CheckSize(size), AccessType.Write, el0: true, out _, value);

    /// <summary>
    /// An instruction fetch from <paramref name="va"/> at the current EL: checks execute permission (UXN/PXN, WXN,
    /// the EL1-never-executes-EL0-writable rule); false after an Instruction Abort (EC 0x20/0x21).
    /// </summary>
    public bool TryFetch(ulong va) => TryAccess(va, 4, AccessType.Execute, El == 0, out _, 0);

    private static int CheckSize(int size) =>
        size is 1 or 2 or 4 or 8 ? size : throw new ArgumentOutOfRangeException(nameof(size), size, "access size must be 1, 2, 4 or 8");

    /// <summary>The general access path: alignment, translation of each page touched, then the RAM access.</summary>
    private bool TryAccess(ulong va, int size, AccessType access, bool el0, out ulong value, ulong store)
    {
        if (_x86 is not null) return TryAccessX86(va, size, access, el0, out value, store);
        value = 0;
        if (_regime.BigEndianData && access != AccessType.Execute)
            throw new UnsupportedFeatureException("SCTLR_EL1.EE/E0E=1: big-endian data accesses are not implemented (walks are)");
        // SCTLR_EL1.A: alignment is checked before translation (DFSC 0x21).
        if (_regime.Sctlr.A && (va & (ulong)(size - 1)) != 0 && access != AccessType.Execute)
            return Abort(va, access, FaultKind.Alignment, 0);
        if (!Translate(va, access, el0, out ulong pa, out byte attr)) return false;
        ulong pageEnd = (va | 0xFFF) + 1;
        bool crosses = va + (ulong)size > pageEnd && pageEnd != 0;
        ulong pa2 = 0;
        byte attr2 = attr;
        if (crosses && !Translate(pageEnd, access, el0, out pa2, out attr2)) return false;
        // Unaligned accesses to Device memory always fault, after translation (memory type needed).
        if ((Mair.IsDevice(attr) || Mair.IsDevice(attr2)) && (va & (ulong)(size - 1)) != 0 && access != AccessType.Execute)
            return Abort(va, access, FaultKind.Alignment, 0);
        if (access == AccessType.Execute) return true;
        return crosses ? SplitAccess(va, size, access, pa, pa2, out value, store) : RamAccess(va, pa, size, access, out value, store);
    }

    private bool RamAccess(ulong va, ulong pa, int size, AccessType access, out ulong value, ulong store)
    {
        value = 0;
        bool ok = access == AccessType.Read ? _memory.TryRead(pa, size, out value) : _memory.TryWrite(pa, size, store);
        if (!ok && _machine.DeviceAt(pa) is { } device) ok = DeviceAccess(device, pa, size, access, out value, store);
        // A valid translation to an address neither RAM nor a device backs: synchronous external abort, not on a
        // walk (DFSC 0x10); on x86 the bus's master abort (reads all ones, writes dropped).
        return ok || Unbacked(va, access, size, ref value);
    }

    /// <summary>A load or store that reaches a memory-mapped device register; costs a device access.</summary>
    private bool DeviceAccess(Devices.IMmioDevice device, ulong pa, int size, AccessType access, out ulong value, ulong store)
    {
        Clock += _costs.DeviceAccess;
        Counters.DeviceAccesses++;
        value = 0;
        return access == AccessType.Read ? device.Read(Id, pa - device.Base, size, out value) : device.Write(Id, pa - device.Base, size, store);
    }

    /// <summary>An access no RAM or device answers: arm64 takes a synchronous external abort; x86 reads all ones.</summary>
    private bool Unbacked(ulong va, AccessType access, int size, ref ulong value)
    {
        if (_x86 is null) return Abort(va, access, FaultKind.ExternalAbort, 0);
        if (access == AccessType.Read) value = size == 8 ? ulong.MaxValue : (1UL << (8 * size)) - 1;
        return true;
    }

    private bool SplitAccess(ulong va, int size, AccessType access, ulong pa, ulong pa2, out ulong value, ulong store)
    {
        value = 0;
        int first = (int)(((va | 0xFFF) + 1) - va);
        for (int i = 0; i < size; i++)
        {
            ulong bytePa = i < first ? pa + (ulong)i : pa2 + (ulong)(i - first);
            if (access == AccessType.Read)
            {
                ulong b = 0xFF;
                if (!_memory.TryRead(bytePa, 1, out b) && !Unbacked(va + (ulong)i, access, 1, ref b)) return false;
                value |= b << (8 * i);
            }
            else if (!_memory.TryWrite(bytePa, 1, (store >> (8 * i)) & 0xFF) && !Unbacked(va + (ulong)i, access, 1, ref value))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Translates one VA through the TLB and, on a miss, the table walker; takes the abort on a fault.
    /// </summary>
    private bool Translate(ulong va, AccessType access, bool el0, out ulong pa, out byte attr)
    {
        pa = 0;
        attr = 0;
        bool pan = Pan && !el0 && access != AccessType.Execute;
        if (!_regime.MmuEnabled) return TranslateUntranslated(va, access, el0, out pa, out attr);
        ref readonly var range = ref _regime.RangeFor(va);
        if (range.TxszOutOfRange || !range.InRange(va)) return Abort(va, access, FaultKind.Translation, 0);
        ulong va56 = va & 0x00FF_FFFF_FFFF_FFFF;
        if (Tlb.TryLookup(va56, _regime.Asid, out var entry))
        {
            if (_machine.Checker.Enabled) _machine.Checker.CheckHit(this, in entry, va);
            bool dirtyUpdate = access == AccessType.Write && entry.DirtyPending && _regime.HardwareDirty;
            if (!dirtyUpdate)
            {
                Counters.TlbHits++;
                Clock += _hitCost;
                if (!entry.Permissions.Allows(access, el0, pan)) return Abort(va, access, FaultKind.Permission, entry.Level);
                pa = entry.PhysicalAddress(va);
                attr = entry.Attr;
                FillMicro(va, access, el0, pa, entry.Permissions);
                return true;
            }
        }
        return TranslateMiss(va, va56, access, el0, pan, out pa, out attr);
    }

    private bool TranslateMiss(ulong va, ulong va56, AccessType access, bool el0, bool pan, out ulong pa, out byte attr)
    {
        pa = 0;
        attr = 0;
        Counters.TlbMisses++;
        Clock += _costs.TlbMiss + _hitCost;
        var walk = TableWalker.Walk(_memory, _regime, va, access, new TableWalker.Options(el0, pan, UpdateDescriptors: true));
        Clock += walk.Reads * _costs.WalkRead;
        if (walk.Reads > 0) Counters.CountWalk(walk.Reads);
        // Faulting walks are never cached, a permission fault included.
        if (walk.IsFault) return Abort(va, access, walk.Fault, walk.Level);
        var replaced = Tlb.Insert(va56, _regime.Asid, in walk);
        if (replaced.Valid)
        {
            if (replaced.Level < 3) ClearMicroTlb();
            else ForgetMicroPage(replaced.VaBase);
        }
        pa = walk.PhysicalAddress(va);
        attr = walk.Attr;
        FillMicro(va, access, el0, pa, walk.Permissions);
        return true;
    }

    private bool TranslateUntranslated(ulong va, AccessType access, bool el0, out ulong pa, out byte attr)
    {
        Counters.UntranslatedAccesses++;
        Clock += _hitCost;
        var flat = TableWalker.Walk(_memory, _regime, va, access, new TableWalker.Options(el0, Pan: false, UpdateDescriptors: false));
        pa = flat.PhysicalAddress(va);
        attr = flat.Attr;
        return !flat.IsFault || Abort(va, access, flat.Fault, flat.Level);
    }

    /// <summary>Takes the Data or Instruction Abort for a fault of this access; always returns false.</summary>
    private bool Abort(ulong va, AccessType access, FaultKind kind, int level)
    {
        Counters.CountFault(kind, level);
        bool lower = El == 0;
        var status = kind.ToStatus(level);
        var esr = access == AccessType.Execute
            ? Esr.InstructionAbort(lower, status)
            : Esr.DataAbort(lower, status, write: access == AccessType.Write);
        TakeException(esr, Pc, va);
        return false;
    }
}
