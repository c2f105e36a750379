using MiniBSD.Hal;

namespace MiniBSD.Kernel.Kern;

/// <summary>What a CPU is doing, as cp_time counts it (sys/sched.h: CP_USER 0, CP_NICE 1, CP_SYS 2, CP_SPIN 3, CP_INTR 4, CP_IDLE 5).</summary>
public enum CpState : byte
{
    User = 0,
    Nice = 1,
    Sys = 2,
    Spin = 3,
    Intr = 4,
    Idle = 5,
}

/// <summary>A machine-dependent layer with interrupt handlers of its own (amd64's shootdown IPIs): they tell statclock.</summary>
public interface IInterruptAccounted
{
    StatClock? Interrupts { set; }
}

/// <summary>
/// kern_clock.c's statclock, and the time accounting getrusage, wait4 and time(1) report. Each CPU's statclock fires
/// stathz (100) times a second at randomized intervals, as OpenBSD's does (initclocks: statclock_avg = 1 s / stathz;
/// var, the largest power of two not above half of it; each period is statclock_min + (random() &amp; statclock_mask)
/// with statclock_min = avg - var/2, statclock_mask = var - 1), staggered by CPU. A tick goes to what the CPU was
/// doing when it fired: user mode to the thread's tu_uticks; the kernel, spinning included, to tu_sticks; an interrupt
/// to tu_iticks; an idle CPU to nobody. A kernel thread (the reaper) keeps its own ticks, which no process adds up:
/// time(1) never sees them. The scheduler and the trap paths tell this class every change of state
/// (<see cref="Transition"/>); it charges the interval since the last one, exactly in cycles and by the ticks that
/// fell in it. Each tick's handler costs <see cref="SchedParams.ClockInterruptCycles"/> on a busy CPU, paid before the
/// CPU's next step (an idle CPU absorbs it): the simulator steps a thread from one request to the next, so an
/// interrupt that fell inside a step is taken at its end. The seed's randomized tick times move the run as timer
/// interrupts do.
/// </summary>
public sealed class StatClock
{
    /// <summary>stathz: lapic_initclocks (amd64) and agtimer_cpu_initclocks (arm64) set stathz = hz = 100.</summary>
    public const int Stathz = 100;

    private sealed class PerCpu(int seed, int cpu)
    {
        public CpState State = CpState.Idle;
        public Proc? P;
        public long Since;                 // cycles: when State began
        public long NextTickNs;            // the next statclock, in nanoseconds of this CPU's clock
        public long NextTick;              // the same in cycles
        public long Owed;                  // handler cycles not yet paid
        public CpState SavedState;         // the state an interrupt interrupted
        public Proc? SavedP;
        public readonly Random Rng = new(unchecked(seed * 7919 + cpu + 1));
        public readonly long[] Ticks = new long[6];
        public readonly long[] Cycles = new long[6];
    }

    private readonly PerCpu[] _cpus;
    private readonly long _hz, _handlerCycles;
    private readonly long _min, _mask;

    public StatClock(Machine machine, int seed, long handlerCycles)
    {
        _hz = machine.Costs.FrequencyHz;
        _handlerCycles = handlerCycles;
        long avg = 1_000_000_000 / Stathz, var = 1L << 31;
        while (var > avg / 2) var /= 2;
        (_min, _mask) = (avg - var / 2, var - 1);
        _cpus = new PerCpu[machine.Cpus.Count];
        for (int i = 0; i < _cpus.Length; i++)
        {
            var c = _cpus[i] = new PerCpu(seed, i);
            c.NextTickNs = avg * i / 256 + Period(c);   // clockintr_stagger over MAXCPUS, then the first period
            c.NextTick = Cycles(c.NextTickNs);
        }
    }

    /// <summary>The statclock period (ns) of each CPU averages 1 s / stathz.</summary>
    public long StatclockMinNs => _min;
    public long StatclockMaskNs => _mask;

    /// <summary>What the CPU is doing now, and for whom.</summary>
    public CpState StateOf(Cpu cpu) => _cpus[cpu.Id].State;

    /// <summary>cp_time: statclock ticks of each <see cref="CpState"/> on the CPU.</summary>
    public ReadOnlySpan<long> CpTime(Cpu cpu) => _cpus[cpu.Id].Ticks;

    /// <summary>The exact cycles of each <see cref="CpState"/> on the CPU, up to its last transition.</summary>
    public ReadOnlySpan<long> CpCycles(Cpu cpu) => _cpus[cpu.Id].Cycles;

    /// <summary>The CPU now does <paramref name="state"/> for <paramref name="p"/> (null: no thread); the time since the last change is charged.</summary>
    public void Transition(Cpu cpu, CpState state, Proc? p)
    {
        var c = _cpus[cpu.Id];
        Charge(c, cpu.Clock);
        (c.State, c.P) = (state, p);
    }

    /// <summary>Charges the time up to now without a change of state (before the counters are read).</summary>
    public void Flush(Cpu cpu) => Charge(_cpus[cpu.Id], cpu.Clock);

    /// <summary>An interrupt handler starts on the CPU (the thread it interrupts gets tu_iticks meanwhile).</summary>
    public void EnterInterrupt(Cpu cpu)
    {
        var c = _cpus[cpu.Id];
        Charge(c, cpu.Clock);
        (c.SavedState, c.SavedP, c.State) = (c.State, c.P, CpState.Intr);
    }

    /// <summary>The handler returns: the CPU goes back to what it was doing.</summary>
    public void LeaveInterrupt(Cpu cpu)
    {
        var c = _cpus[cpu.Id];
        Charge(c, cpu.Clock);
        (c.State, c.P) = (c.SavedState, c.SavedP);
    }

    /// <summary>The CPU spins for <paramref name="cycles"/> (a mutex another CPU holds): CP_SPIN, its thread's system time.</summary>
    public void Spin(Cpu cpu, long cycles)
    {
        var c = _cpus[cpu.Id];
        Charge(c, cpu.Clock);
        var state = c.State;
        c.State = CpState.Spin;
        cpu.AdvanceClock(cycles);
        Charge(c, cpu.Clock);
        c.State = state;
    }

    /// <summary>The clock interrupts' handler cycles the CPU owes; the caller advances the clock by them as an interrupt.</summary>
    public long TakeOwed(Cpu cpu)
    {
        var c = _cpus[cpu.Id];
        long owed = c.Owed;
        c.Owed = 0;
        return owed;
    }

    private void Charge(PerCpu c, long now)
    {
        long cycles = now - c.Since;
        if (cycles <= 0) return;
        c.Cycles[(int)c.State] += cycles;
        if (c.P is { } p) ChargeCycles(ref p.Tu, c.State, cycles);
        while (c.NextTick < now)
        {
            c.Ticks[(int)c.State]++;
            if (c.P is { } q) ChargeTick(ref q.Tu, c.State);
            if (c.State != CpState.Idle) c.Owed += _handlerCycles;
            c.NextTickNs += Period(c);
            c.NextTick = Cycles(c.NextTickNs);
        }
        c.Since = now;
    }

    private static void ChargeCycles(ref TUsage tu, CpState state, long cycles)
    {
        switch (state)
        {
            case CpState.User or CpState.Nice: tu.UserCycles += cycles; break;
            case CpState.Sys: tu.SysCycles += cycles; break;
            case CpState.Spin: tu.SysCycles += cycles; tu.SpinCycles += cycles; break;
            case CpState.Intr: tu.IntrCycles += cycles; break;
        }
    }

    /// <summary>statclock's attribution: user mode, an interrupt frame (CLKF_INTR), else the kernel (spinning or not).</summary>
    private static void ChargeTick(ref TUsage tu, CpState state)
    {
        switch (state)
        {
            case CpState.User or CpState.Nice: tu.UTicks++; break;
            case CpState.Intr: tu.ITicks++; break;
            case CpState.Sys or CpState.Spin: tu.STicks++; break;
        }
    }

    private long Period(PerCpu c) => _min + (c.Rng.NextInt64() & _mask);

    private long Cycles(long ns) => (long)((Int128)ns * _hz / 1_000_000_000);
}
