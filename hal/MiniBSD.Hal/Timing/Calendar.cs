namespace MiniBSD.Hal.Timing;

/// <summary>
/// A resource one user at a time, in simulated time, for code that runs ahead of other CPUs' clocks (a step of a
/// thread can take many cycles at once): the resource keeps a calendar of the intervals it is busy, and a request at
/// time t for d cycles gets the first gap of d at or after t. Two users never overlap. Requests are served in the
/// order they are made, which the deterministic scheduler fixes, not strictly in time order: an interval placed by a
/// CPU that ran ahead stays where it is, and a request that comes earlier in time but later in the run fits around it.
/// Intervals that end before <see cref="Forget"/>'s horizon (every CPU is past it) are dropped.
/// </summary>
public sealed class Calendar
{
    private readonly List<(long Start, long End)> _busy = [];

    /// <summary>Intervals kept now.</summary>
    public int Count => _busy.Count;

    /// <summary>Books <paramref name="length"/> cycles at the first gap at or after <paramref name="at"/>; returns the start.</summary>
    public long Reserve(long at, long length)
    {
        long start = at;
        foreach (var (s, e) in _busy)
        {
            if (e <= start) continue;
            if (s >= start + length) break;   // sorted by start: the gap before this interval is long enough
            start = e;
        }
        int i = _busy.Count;
        while (i > 0 && _busy[i - 1].Start > start) i--;
        _busy.Insert(i, (start, start + length));
        return start;
    }

    /// <summary>Drops the intervals that end at or before <paramref name="horizon"/>: no request can come before it.</summary>
    public void Forget(long horizon)
    {
        int n = 0;
        while (n < _busy.Count && _busy[n].End <= horizon) n++;
        if (n > 0) _busy.RemoveRange(0, n);
    }
}
