using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MiniBSD.Hal.Memory;
using MiniBSD.Hal.Mmu;

namespace MiniBSD.Hal;

/// <summary>
/// Host-side shortcuts in front of the TLB, as QEMU's softmmu keeps one. They change no behaviour, only host speed:
/// - the micro-TLB: per EL and per read/write, 64 direct-mapped slots that remember the RAM words behind a page the
///   TLB translates;
/// - the last-page cache: checked first, the page an 8-byte load (or store) of the current EL was last translated to
///   through the TLB, or hit twice in a row in the micro-TLB.
/// Both only ever copy what the TLB holds: whatever removes a TLB entry (a TLBI, an eviction), changes translation
/// (an MMU register write) or changes EL forgets the copies at once, so a hit needs no further check. EL1 copies are
/// made only of pages EL0 cannot access, so PSTATE.PAN never matters to them. They work the same with the coherence
/// checker on, so the tests run the code users run; the checker sees what they serve by checking every copy
/// against the TLB and the tables at each exception entry and return and each TLBI (<see cref="ForEachFastCopy"/>).
/// </summary>
public sealed partial class Cpu
{
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
    /// <summary>
    /// Slots filled since the last clear, a bit each (EL0 and EL1 together), so a clear touches only those. All set
    /// at first: the arrays start zeroed (tag 0, which would match page 0) until the constructor's clear empties them.
    /// </summary>
    private ulong _microFilled = ulong.MaxValue;

    /// <summary>The micro-TLB slots of the current EL (swapped on exception entry and return).</summary>
    private MicroEntry[] _microRead = null!, _microWrite = null!;

    // The last-page cache. A tag keeps bits [11:3] clear, so (va & ~0xFF8) matches only an aligned VA in the page,
    // and never ulong.MaxValue, the empty tag.
    internal ulong _readPageTag = ulong.MaxValue, _writePageTag = ulong.MaxValue;
    internal ulong[]? _readPageWords, _writePageWords;

    // The page of the last micro-TLB hit of each kind: a page becomes the last page on its second hit in a row, so
    // accesses that alternate between pages (a table walk by software: L0, L1, L2, L3 slots) do not rewrite the
    // reference above at each step, which costs a GC write barrier. Tags only: forgetting them needs nothing.
    private ulong _readSlotTag = ulong.MaxValue, _writeSlotTag = ulong.MaxValue;

    private readonly long _hitCost;

    /// <summary>The micro-TLB slot <paramref name="va"/> maps to (the arrays always have <see cref="MicroSlots"/> entries).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref MicroEntry MicroSlot(MicroEntry[] slots, ulong va) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(slots), (nint)((va >> 12) & (MicroSlots - 1)));

    /// <summary>The word of a cached page that <paramref name="va"/> addresses (backing arrays always hold 512 words).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ref ulong PageWord(ulong[]? words, ulong va) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(words!), (nint)((va & 0xFFF) >> 3));

    /// <summary>Charges <paramref name="hits"/> last-page hits a port counted.</summary>
    internal void ChargeHits(long hits)
    {
        Counters.TlbHits += hits;
        Clock += hits * _hitCost;
    }

    /// <summary>A port's slow path: charge what it counted, then the full load (plain arguments in, a pair out).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static (bool Ok, ulong Value) PortRead64(Cpu cpu, long hits, ulong va)
    {
        cpu.ChargeHits(hits);
        return cpu.TryRead64Slow(va);
    }

    /// <summary>A port's slow path for a store.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static bool PortWrite64(Cpu cpu, long hits, ulong va, ulong value)
    {
        cpu.ChargeHits(hits);
        return cpu.TryWrite64Slow(va, value);
    }

    /// <param name="check">false only for a shootdown IPI's entry, when the TLB is stale by design until the handler runs.</param>
    private void SetEl(int el, bool check = true)
    {
        if (check && _machine.Checker.Enabled) _machine.Checker.CheckFastPath(this);
        if (el != El) ForgetLastPages();
        El = el;
        _microRead = el == 0 ? _microRead0 : _microRead1;
        _microWrite = el == 0 ? _microWrite0 : _microWrite1;
    }

    /// <summary>Copies a successful translation into the micro-TLB and the last-page cache, when that is safe.</summary>
    private void FillMicro(ulong va, AccessType access, bool el0, ulong pa, Permissions perms)
    {
        if (access == AccessType.Execute || el0 != (El == 0)) return;
        if (El == 1 && (perms & Permissions.El0Data) != 0) return; // PAN-dependent: always take the full path
        if (!_memory.Contains(pa & ~0xFFFUL, PhysicalMemory.FrameSize)) return;
        var entry = new MicroEntry { Tag = va & ~0xFFFUL, Words = _memory.BackingFor(pa & ~0xFFFUL) };
        _microFilled |= 1UL << (int)((va >> 12) & (MicroSlots - 1));
        if (access == AccessType.Read)
        {
            MicroSlot(_microRead, va) = entry;
            (_readPageTag, _readPageWords) = (entry.Tag, entry.Words);
        }
        else
        {
            MicroSlot(_microWrite, va) = entry;
            (_writePageTag, _writePageWords) = (entry.Tag, entry.Words);
        }
    }

    /// <summary>
    /// For the coherence checker: every page the micro-TLB and the last-page cache hold a copy of now, as (page VA,
    /// EL0 or EL1, read or write, the frame's words). The last pages are in the micro-TLB too, or were copied from it.
    /// </summary>
    internal void ForEachFastCopy<TVisitor>(ref TVisitor visit) where TVisitor : struct, IFastCopyVisitor
    {
        for (int slot = 0; slot < MicroSlots; slot++)
        {
            Visit(ref visit, _microRead0[slot], el0: true, AccessType.Read);
            Visit(ref visit, _microWrite0[slot], el0: true, AccessType.Write);
            Visit(ref visit, _microRead1[slot], el0: false, AccessType.Read);
            Visit(ref visit, _microWrite1[slot], el0: false, AccessType.Write);
        }
        if (_readPageTag != ulong.MaxValue) visit.Copy(this, _readPageTag & ~0xFFFUL, El == 0, AccessType.Read, _readPageWords!);
        if (_writePageTag != ulong.MaxValue) visit.Copy(this, _writePageTag & ~0xFFFUL, El == 0, AccessType.Write, _writePageWords!);
    }

    private void Visit<TVisitor>(ref TVisitor visit, in MicroEntry e, bool el0, AccessType access) where TVisitor : struct, IFastCopyVisitor
    {
        if (e.Tag != MicroEntry.Empty.Tag) visit.Copy(this, e.Tag, el0, access, e.Words!);
    }

    /// <summary>Forgets every copy (after an MMU register write, a TLBI by ASID or of everything, a block eviction).</summary>
    internal void ClearMicroTlb()
    {
        ForgetLastPages();
        for (ulong filled = _microFilled; filled != 0; filled &= filled - 1)
        {
            int slot = System.Numerics.BitOperations.TrailingZeroCount(filled);
            Forget(slot);
        }
        _microFilled = 0;
    }

    /// <summary>Forgets the copies of the 4 KiB page holding VA[55:0] (whatever its top byte was).</summary>
    private void ForgetMicroPage(ulong va56)
    {
        ForgetLastPages();
        Forget((int)((va56 >> 12) & (MicroSlots - 1)));
    }

    /// <summary>
    /// Empties a slot by its tag alone: the words reference stays (a frame's backing array lives as long as the
    /// machine), since storing a reference costs a GC write barrier and a clear at every context switch does many.
    /// </summary>
    private void Forget(int slot) =>
        _microRead0[slot].Tag = _microRead1[slot].Tag = _microWrite0[slot].Tag = _microWrite1[slot].Tag = MicroEntry.Empty.Tag;

    /// <summary>Empties the last-page cache by its tags (the words references stay, as in <see cref="Forget"/>).</summary>
    private void ForgetLastPages() => _readPageTag = _writePageTag = ulong.MaxValue;
}

/// <summary>Sees one copy the fast path holds (<see cref="Cpu.ForEachFastCopy"/>).</summary>
internal interface IFastCopyVisitor
{
    void Copy(Cpu cpu, ulong pageVa, bool el0, AccessType access, ulong[] words);
}
