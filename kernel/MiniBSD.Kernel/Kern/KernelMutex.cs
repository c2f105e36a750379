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
    private readonly Hal.Timing.Calendar _holds = new();

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
        long at = cpu.Clock, start = _holds.Reserve(at, holdCycles);
        if (start > at)
        {
            Contended++;
            SpinCycles += start - at;
            if (Clock is { } clock) clock.Spin(cpu, start - at);
            else cpu.AdvanceClock(start - at);
        }
        cpu.AdvanceClock(holdCycles);
        Acquisitions++;
        HoldCycles += holdCycles;
        if (_holds.Count > 64) _holds.Forget(machine.MinClock());
    }
}
