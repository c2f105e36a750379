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
/// made only of pages EL0 cannot access, so PSTATE.PAN never matters to them. Both stay empty while the coherence
/// checker is on, so every hit reaches the checker.
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

    private void SetEl(int el)
    {
        if (el != El) ForgetLastPages();
        El = el;
        _microRead = el == 0 ? _microRead0 : _microRead1;
        _microWrite = el == 0 ? _microWrite0 : _microWrite1;
    }

    /// <summary>Copies a successful translation into the micro-TLB and the last-page cache, when that is safe.</summary>
    private void FillMicro(ulong va, AccessType access, bool el0, ulong pa, Permissions perms)
    {
        if (access == AccessType.Execute || _machine.Checker.Enabled || el0 != (El == 0)) return;
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
