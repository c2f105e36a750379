using MiniBSD.Hal;

namespace MiniBSD.Cli.Boot;

/// <summary>
/// What ends a run that does not halt by itself: a limit on simulated time (on by default, far above what the
/// bundled workloads need, so a script that loops forever still ends), and a guard on the host's memory, for host
/// state that no emulated resource bounds (which would be a MiniBSD bug: every such state is charged to the machine).
/// </summary>
public static class RunLimits
{
    /// <summary>
    /// The default --max-time, in simulated seconds. The bundled workloads halt within 0.5 s as `minibsd run` runs them (build
    /// on one CPU is the longest, docs/BENCHMARKS.md), and sleep(1) is cheap in host time; a shell loop that only spins
    /// (<c>while :; do :; done</c>) runs about 1 s simulated in 90 s of host time, so a runaway script ends in minutes.
    /// </summary>
    public const double DefaultMaxSeconds = 2;

    /// <summary>bench exit's default --max-time: its full-size build takes up to about 6 s simulated on one CPU.</summary>
    public const double BenchMaxSeconds = 20;

    /// <summary>What the host may hold beyond the emulated RAM of the machines running at once: the kernel's and the
    /// programs' host objects, the JIT, the runtime.</summary>
    public const long HostSlackBytes = 768L << 20;

    /// <summary>The last CPU cycle a run may reach (--max-time 0: no limit).</summary>
    public static long Cycles(SystemOptions o, MachineConfig config) =>
        o.MaxSeconds > 0 ? (long)Math.Min(o.MaxSeconds * config.Costs.FrequencyHz, long.MaxValue / 2) : long.MaxValue;

    /// <summary>The host-memory guard for a run: true (stop) once the managed heap is past what the RAM of
    /// <paramref name="machinesAtOnce"/> machines and the slack explain.</summary>
    public static Func<bool> HostGuard(MachineConfig config, int machinesAtOnce)
    {
        long limit = HostLimitBytes(config, machinesAtOnce);
        return () => GC.GetTotalMemory(forceFullCollection: false) > limit && GC.GetTotalMemory(forceFullCollection: true) > limit;
    }

    public static long HostLimitBytes(MachineConfig config, int machinesAtOnce) => (long)config.MemoryBytes * machinesAtOnce + HostSlackBytes;
}
