using System.Runtime.CompilerServices;

namespace MiniBSD.Hal.Tlb;

/// <summary>A set-associative array of entries of one size (one leaf level), with round-robin replacement.</summary>
internal sealed class TlbBank
{
    private readonly TlbEntry[] _entries;
    private readonly byte[] _victim;
    private readonly int _ways;
    private readonly int _setMask;

    public TlbBank(int level, int sets, int ways)
    {
        Level = level;
        Shift = 12 + 9 * (3 - level);
        _ways = ways;
        _setMask = sets - 1;
        _entries = new TlbEntry[sets * ways];
        _victim = new byte[sets];
        if (sets * ways >= 256) _asidCount = new ushort[1 << 16];
    }

    /// <summary>
    /// Valid non-global entries per ASID (large banks only), so TLBI ASIDE1 finds out at once that a TLB holds none
    /// of an ASID, and stops scanning when it has removed them all. A host-speed aid: what is removed is the same.
    /// </summary>
    private readonly ushort[]? _asidCount;

    public int Level { get; }
    public int Shift { get; }
    public int Valid { get; private set; }

    /// <summary>
    /// When not null, how many valid entries have each output base, and which slots hold them while there are at
    /// most two: kept only while the coherence checker runs, so it can tell whether a freed frame is in this bank, and
    /// where, without scanning it.
    /// </summary>
    public Dictionary<ulong, FrameSlots>? FrameCounts { get; private set; }

    public void TrackFrames(bool on)
    {
        if (!on)
        {
            FrameCounts = null;
            return;
        }
        FrameCounts = [];
        for (int i = 0; i < _entries.Length; i++)
            if (_entries[i].Valid) Count(_entries[i].OutputBase, i, +1);
    }

    private void Count(ulong frame, int slot, int delta)
    {
        var counts = FrameCounts!;
        var f = counts.GetValueOrDefault(frame, FrameSlots.None);
        f = delta > 0 ? f.With(slot) : f.Without(slot);
        if (f.Count == 0) counts.Remove(frame);
        else counts[frame] = f;
    }

    public Span<TlbEntry> Entries => _entries;

    /// <summary>Index of the entry translating VA[55:0] under the ASID, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(ulong va56, ushort asid)
    {
        ulong key = (va56 & ~((1UL << Shift) - 1)) | 1;
        int first = (int)((va56 >> Shift) & (ulong)_setMask) * _ways;
        var entries = _entries;
        for (int i = first; i < first + _ways; i++)
        {
            ref var e = ref entries[i];
            if (e.Key == key && (e.Global || e.Asid == asid)) return i;
        }
        return -1;
    }

    public ref TlbEntry this[int index] => ref _entries[index];

    /// <summary>Inserts an entry, replacing round-robin in its set; returns the entry replaced (Key = 0 if none).</summary>
    public TlbEntry Insert(in TlbEntry entry)
    {
        int set = (int)((entry.VaBase >> Shift) & (ulong)_setMask);
        int first = set * _ways;
        // Prefer an empty way, or a stale copy of the same translation, before evicting.
        for (int i = first; i < first + _ways; i++)
        {
            ref var e = ref _entries[i];
            if (!e.Valid || (e.Key == entry.Key && e.Global == entry.Global && e.Asid == entry.Asid))
            {
                var replaced = e;
                if (!e.Valid) Valid++;
                e = entry;
                if (FrameCounts is not null) Tracked(replaced, entry, i);
                Added(replaced, entry);
                return replaced;
            }
        }
        int victim = first + _victim[set];
        _victim[set] = (byte)((_victim[set] + 1) % _ways);
        var old = _entries[victim];
        _entries[victim] = entry;
        if (FrameCounts is not null) Tracked(old, entry, victim);
        Added(old, entry);
        return old;
    }

    private void Tracked(in TlbEntry replaced, in TlbEntry entry, int slot)
    {
        if (replaced.Valid) Count(replaced.OutputBase, slot, -1);
        Count(entry.OutputBase, slot, +1);
    }

    private void Removed(in TlbEntry e, int slot)
    {
        if (FrameCounts is not null) Count(e.OutputBase, slot, -1);
        if (_asidCount is not null && !e.Global) _asidCount[e.Asid]--;
    }

    private void Added(in TlbEntry replaced, in TlbEntry entry)
    {
        if (_asidCount is null) return;
        if (replaced.Valid && !replaced.Global) _asidCount[replaced.Asid]--;
        if (!entry.Global) _asidCount[entry.Asid]++;
    }

    /// <summary>How many non-global entries are tagged with <paramref name="asid"/>, or -1 when the bank does not count (a small one).</summary>
    public int CountAsid(ushort asid) => _asidCount is null ? -1 : _asidCount[asid];

    /// <summary>TLBI ASIDE1 on this bank: removes the ASID's non-global entries.</summary>
    public int InvalidateAsid(ushort asid)
    {
        int left = _asidCount is null ? int.MaxValue : _asidCount[asid];
        if (left == 0 || Valid == 0) return 0;
        int removed = 0;
        for (int i = 0; i < _entries.Length && removed < left; i++)
        {
            ref var e = ref _entries[i];
            if (e.Valid && !e.Global && e.Asid == asid) { Removed(e, i); e = default; removed++; }
        }
        Valid -= removed;
        return removed;
    }

    /// <summary>Removes the entries of the set that holds VA[55:0] for which <paramref name="match"/> holds.</summary>
    public int InvalidateVa<TMatch>(ulong va56, TMatch match) where TMatch : struct, ITlbMatch
    {
        ulong baseVa = va56 & ~((1UL << Shift) - 1);
        int first = (int)((va56 >> Shift) & (ulong)_setMask) * _ways;
        int removed = 0;
        for (int i = first; i < first + _ways; i++)
        {
            ref var e = ref _entries[i];
            if (e.Valid && e.VaBase == baseVa && match.Matches(in e)) { Removed(e, i); e = default; removed++; }
        }
        Valid -= removed;
        return removed;
    }

    /// <summary>Removes every entry for which <paramref name="match"/> holds.</summary>
    public int InvalidateAll<TMatch>(TMatch match) where TMatch : struct, ITlbMatch
    {
        if (Valid == 0) return 0;
        int removed = 0;
        for (int i = 0; i < _entries.Length; i++)
        {
            ref var e = ref _entries[i];
            if (e.Valid && match.Matches(in e)) { Removed(e, i); e = default; removed++; }
        }
        Valid -= removed;
        return removed;
    }
}

/// <summary>Which entries a TLB maintenance operation removes (a struct, so the JIT specialises each).</summary>
internal interface ITlbMatch
{
    bool Matches(in TlbEntry e);
}

/// <summary>
/// How many entries of a bank map one output base, and the slots of the first two (-1: none, or not known after the
/// count went above two and came back down; the checker then scans the bank).
/// </summary>
public readonly record struct FrameSlots(int Count, int A, int B)
{
    public static readonly FrameSlots None = new(0, -1, -1);

    /// <summary>Every entry's slot is known: Count is at most two and each is in A or B.</summary>
    public bool Exact => Count == (A >= 0 ? 1 : 0) + (B >= 0 ? 1 : 0);

    public FrameSlots With(int slot) =>
        !Exact || Count >= 2 ? this with { Count = Count + 1, A = -1, B = -1 }
        : A < 0 ? this with { Count = Count + 1, A = slot } : this with { Count = Count + 1, B = slot };

    public FrameSlots Without(int slot) =>
        Count == 1 ? None
        : A == slot ? this with { Count = Count - 1, A = -1 }
        : B == slot ? this with { Count = Count - 1, B = -1 }
        : this with { Count = Count - 1, A = -1, B = -1 };
}
