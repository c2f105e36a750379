namespace MiniBSD.Hal.Timing;

/// <summary>
/// A resource one user at a time, in simulated time, for code that runs ahead of other CPUs' clocks (a step of a
/// thread can take many cycles at once): the resource keeps a calendar of the intervals it is busy, and a request at
/// time t for d cycles gets the first gap of d at or after t. Two users never overlap. Requests are served in the
/// order they are made, which the deterministic scheduler fixes, not strictly in time order: an interval placed by a
/// CPU that ran ahead stays where it is, and a request that comes earlier in time but later in the run fits around it.
/// Intervals that end before <see cref="Forget"/>'s horizon (every CPU is past it) are dropped. The intervals are
/// sorted and never overlap, so they are sorted by end too: a request finds its place by binary search, and most
/// land at the end (O(log n) a request however long the calendar grows while a CPU lags).
/// </summary>
public sealed class Calendar
{
    private readonly List<(long Start, long End)> _busy = [];
    private int _head;   // intervals before it are forgotten, removed in bulk

    /// <summary>Intervals kept now.</summary>
    public int Count => _busy.Count - _head;

    /// <summary>Books <paramref name="length"/> cycles at the first gap at or after <paramref name="at"/>; returns the start.</summary>
    public long Reserve(long at, long length)
    {
        long start = at;
        int i = FirstEndingAfter(at);
        for (; i < _busy.Count; i++)
        {
            var (s, e) = _busy[i];
            if (s >= start + length) break;   // the gap before this interval is long enough
            start = Math.Max(start, e);
        }
        _busy.Insert(i, (start, start + length));
        return start;
    }

    /// <summary>The first kept interval that ends after <paramref name="t"/> (Count if none).</summary>
    private int FirstEndingAfter(long t)
    {
        int lo = _head, hi = _busy.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_busy[mid].End <= t) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>Drops the intervals that end at or before <paramref name="horizon"/>: no request can come before it.</summary>
    public void Forget(long horizon)
    {
        _head = FirstEndingAfter(horizon);
        if (_head < 64 || _head < _busy.Count / 2) return;
        _busy.RemoveRange(0, _head);
        _head = 0;
    }
}
