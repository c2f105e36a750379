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
    /// A host-side shortcut in front of the TLB, as QEMU's softmmu keeps one: per EL and per read/write, 64
    /// direct-mapped slots that remember the RAM words behind a page the TLB translates. It only ever copies what
    /// the TLB holds: whatever removes a TLB entry (a TLBI, an eviction) or changes translation (an MMU register
    /// write) forgets the copies at once, so a hit needs no further check. EL1 slots are filled only for pages EL0
    /// cannot access, so PSTATE.PAN never matters to them. It stays empty while the coherence checker is on, so
    /// every hit reaches the checker.
    /// </summary>
    internal struct MicroEntry
    {
        /// <summary>The page's VA with bits [11:0] clear; <see cref="Empty"/>'s tag matches no VA.</summary>
        public ulong Tag;
        public ulong[]? Words;

        public static readonly MicroEntry Empty = new() { Tag = ulong.MaxValue };
    }

    private const int MicroSlots = 64;
    private readonly MicroEntry[] _microRead0 = new MicroEntry[MicroSlots], _microRead1 = new MicroEntry[MicroSlots];
    private readonly MicroEntry[] _microWrite0 = new MicroEntry[MicroSlots], _microWrite1 = new MicroEntry[MicroSlots];
    /// <summary>The slots of the current EL (swapped on exception entry and return).</summary>
    internal MicroEntry[] _microRead = null!, _microWrite = null!;
    private readonly long _hitCost;

    /// <summary>Finds the micro-TLB slot for an 8-byte aligned access to <paramref name="va"/>, or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ref ulong MicroWord(MicroEntry[] slots, ulong va, out bool hit)
    {
        ref var m = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(slots), (int)((va >> 12) & (MicroSlots - 1)));
        // Bits [2:0] of the VA must be zero (aligned) and the page must match; bits [11:3] are masked off.
        hit = m.Tag == (va & ~0xFF8UL);
        if (!hit) return ref Unsafe.NullRef<ulong>();
        return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(m.Words!), (int)(va & 0xFFF) >> 3);
    }

    /// <summary>
    /// LDR Xt, [va]: an 8-byte load at the current EL. False when the access took a synchronous exception
    /// (ESR_EL1/FAR_EL1 say why and the CPU is now at EL1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryRead64(ulong va, out ulong value)
    {
        ref ulong word = ref MicroWord(_microRead, va, out bool hit);
        if (hit)
        {
            Counters.TlbHits++;
            Clock += _hitCost;
            value = word;
            return true;
        }
        return TryAccess(va, 8, AccessType.Read, El == 0, out value, 0);
    }

    /// <summary>STR Xt, [va]: an 8-byte store at the current EL; false when it took an exception.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite64(ulong va, ulong value)
    {
        ref ulong word = ref MicroWord(_microWrite, va, out bool hit);
        if (hit)
        {
            Counters.TlbHits++;
            Clock += _hitCost;
            word = value;
            return true;
        }
        return TryAccess(va, 8, AccessType.Write, El == 0, out _, value);
    }

    /// <summary>
    /// A port for a run of accesses by the code running on this CPU, such as a time slice of a user program:
    /// the same loads and stores, with the TLB hits the micro-TLB serves counted in the port and charged to the
    /// clock and counters when it is disposed (or before any slower access), as QEMU charges icount per block.
    /// </summary>
    public MemoryPort OpenMemoryPort() => new(this);

    /// <summary>Charges <paramref name="hits"/> micro-TLB hits a port counted.</summary>
    internal void ChargeHits(long hits)
    {
        Counters.TlbHits += hits;
        Clock += hits * _hitCost;
    }

    private void SetEl(int el)
    {
        El = el;
        _microRead = el == 0 ? _microRead0 : _microRead1;
        _microWrite = el == 0 ? _microWrite0 : _microWrite1;
    }

    /// <summary>Forgets every micro-TLB copy (after an MMU register write, a TLBI by ASID or of everything, ...).</summary>
    internal void ClearMicroTlb()
    {
        Array.Fill(_microRead0, MicroEntry.Empty);
        Array.Fill(_microRead1, MicroEntry.Empty);
        Array.Fill(_microWrite0, MicroEntry.Empty);
        Array.Fill(_microWrite1, MicroEntry.Empty);
    }

    /// <summary>Forgets the micro-TLB copies of the 4 KiB page holding VA[55:0] (whatever its top byte was).</summary>
    private void ForgetMicroPage(ulong va56)
    {
        int slot = (int)((va56 >> 12) & (MicroSlots - 1));
        _microRead0[slot] = MicroEntry.Empty;
        _microRead1[slot] = MicroEntry.Empty;
        _microWrite0[slot] = MicroEntry.Empty;
        _microWrite1[slot] = MicroEntry.Empty;
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
        value = 0;
        if (_regime.BigEndianData && access != AccessType.Execute)
            throw new UnsupportedFeatureException($"SCTLR_EL1.EE/E0E=1: big-endian data accesses are not implemented (walks are)");
        // SCTLR_EL1.A: alignment is checked before translation (DFSC 0x21).
        if (_regime.Sctlr.A && (va & (ulong)(size - 1)) != 0 && access != AccessType.Execute)
            return Abort(va, access, FaultKind.Alignment, 0);
        if (!Translate(va, access, el0, out ulong pa, out byte attr)) return false;
        ulong pageEnd = (va | 0xFFF) + 1;
        bool crosses = va + (ulong)size > pageEnd && pageEnd != 0;
        ulong pa2 = 0;
        if (crosses && !Translate(pageEnd, access, el0, out pa2, out attr)) return false;
        // Unaligned accesses to Device memory always fault, after translation (memory type needed).
        if (Mair.IsDevice(attr) && (va & (ulong)(size - 1)) != 0 && access != AccessType.Execute)
            return Abort(va, access, FaultKind.Alignment, 0);
        if (access == AccessType.Execute) return true;
        return crosses ? SplitAccess(va, size, access, pa, pa2, out value, store) : RamAccess(va, pa, size, access, out value, store);
    }

    private bool RamAccess(ulong va, ulong pa, int size, AccessType access, out ulong value, ulong store)
    {
        value = 0;
        bool ok = access == AccessType.Read ? _memory.TryRead(pa, size, out value) : _memory.TryWrite(pa, size, store);
        // A valid translation to an address no RAM backs: synchronous external abort, not on a walk (DFSC 0x10).
        return ok || Abort(va, access, FaultKind.ExternalAbort, 0);
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
                if (!_memory.TryRead(bytePa, 1, out ulong b)) return Abort(va + (ulong)i, access, FaultKind.ExternalAbort, 0);
                value |= b << (8 * i);
            }
            else if (!_memory.TryWrite(bytePa, 1, (store >> (8 * i)) & 0xFF))
            {
                return Abort(va + (ulong)i, access, FaultKind.ExternalAbort, 0);
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
        var range = _regime.RangeFor(va);
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

    private void FillMicro(ulong va, AccessType access, bool el0, ulong pa, Permissions perms)
    {
        if (access == AccessType.Execute || _machine.Checker.Enabled || el0 != (El == 0)) return;
        if (El == 1 && (perms & Permissions.El0Data) != 0) return; // PAN-dependent: always take the full path
        if (!_memory.Contains(pa & ~0xFFFUL, PhysicalMemory.FrameSize)) return;
        var slots = access == AccessType.Read ? _microRead : _microWrite;
        slots[(int)((va >> 12) & (MicroSlots - 1))] = new MicroEntry { Tag = va & ~0xFFFUL, Words = _memory.BackingFor(pa & ~0xFFFUL) };
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
