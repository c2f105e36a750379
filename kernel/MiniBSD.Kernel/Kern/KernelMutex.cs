using MiniBSD.Hal;

namespace MiniBSD.Kernel.Kern;

/// <summary>
/// A spinning mutex (OpenBSD's struct mutex: mtx_enter, mtx_leave) taken by synchronous kernel code: the page
/// allocator's uvm.fpageqlock, taken inside a fault or a teardown that runs as one step of its thread. Such a step can
/// reach far past the other CPUs' clocks, so the mutex keeps a calendar of its holds rather than one owner: a CPU
/// asking at time t for a hold of h cycles gets the first gap of h at or after t between holds already made (by CPUs
/// whose steps ran ahead), spins until then (CP_SPIN, its thread's system time), then runs the critical section: two
/// CPUs never hold it at once. What this cannot do is serve the requests in their time order: holds made by a step
/// that ran ahead were placed before a request that comes earlier in time was known, so that request waits for a gap
/// instead of going first (a fair lock would make the other wait instead; the total wait is alike unless the gaps are
/// shorter than the hold). Holds every CPU has passed are forgotten. The order is the scheduler's: a run is
/// deterministic.
/// </summary>
public sealed class KernelMutex(string name, Machine machine)
{
    private readonly List<(long Start, long End)> _holds = [];

    public string Name { get; } = name;

    /// <summary>The kernel's time accounting, told of the spins (null: spins are not accounted).</summary>
    public StatClock? Clock { get; set; }

    public long Acquisitions { get; private set; }
    public long Contended { get; private set; }
    public long HoldCycles { get; private set; }
    public long SpinCycles { get; private set; }

    /// <summary>mtx_enter, a critical section of <paramref name="holdCycles"/>, mtx_leave, on <paramref name="cpu"/>'s clock.</summary>
    public void Hold(Cpu cpu, long holdCycles)
    {
        long at = cpu.Clock, start = FirstGap(at, holdCycles);
        if (start > at)
        {
            Contended++;
            SpinCycles += start - at;
            if (Clock is { } clock) clock.Spin(cpu, start - at);
            else cpu.AdvanceClock(start - at);
        }
        cpu.AdvanceClock(holdCycles);
        Insert(start, start + holdCycles);
        Acquisitions++;
        HoldCycles += holdCycles;
        if (_holds.Count > 64) Forget();
    }

    /// <summary>The earliest start at or after <paramref name="at"/> where a hold of <paramref name="length"/> overlaps none.</summary>
    private long FirstGap(long at, long length)
    {
        long start = at;
        foreach (var (s, e) in _holds)
        {
            if (e <= start) continue;
            if (s >= start + length) break;   // sorted by start: the gap before this hold is long enough
            start = e;
        }
        return start;
    }

    private void Insert(long start, long end)
    {
        int i = _holds.Count;
        while (i > 0 && _holds[i - 1].Start > start) i--;
        _holds.Insert(i, (start, end));
    }

    /// <summary>Drops the holds that end before every CPU's clock: no request can fall before them again.</summary>
    private void Forget()
    {
        long min = long.MaxValue;
        foreach (var c in machine.Cpus) min = Math.Min(min, c.Clock);
        int n = 0;
        while (n < _holds.Count && _holds[n].End <= min) n++;
        _holds.RemoveRange(0, n);
    }
}
