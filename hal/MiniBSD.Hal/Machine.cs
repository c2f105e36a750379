using MiniBSD.Hal.Check;
using MiniBSD.Hal.Cost;
using MiniBSD.Hal.Memory;
using MiniBSD.Hal.Tlb;

namespace MiniBSD.Hal;

/// <summary>
/// The emulated arm64 machine: RAM, CPUs with their system registers, MMUs and TLBs, one cost table, and the
/// TLB coherence checker. A machine is a plain value: two can live side by side in one process.
/// </summary>
public sealed class Machine
{
    private readonly Cpu[] _cpus;

    public Machine(MachineConfig config)
    {
        config.Validate();
        Config = config;
        Memory = new PhysicalMemory(config.MemoryBytes, config.RamBase);
        Costs = config.Costs;
        _cpus = new Cpu[config.Cpus];
        Checker = new TlbCoherenceChecker(this);
        for (int i = 0; i < _cpus.Length; i++) _cpus[i] = new Cpu(this, i);
        Checker.Enabled = config.CheckCoherence;
        _devices.Add(Console);
    }

    public MachineConfig Config { get; }
    public PhysicalMemory Memory { get; }
    public CostTable Costs { get; }
    public IReadOnlyList<Cpu> Cpus => _cpus;

    /// <summary>CPU <paramref name="id"/> (a plain array read, for hot paths: no interface call).</summary>
    public Cpu Cpu(int id) => _cpus[id];
    public TlbCoherenceChecker Checker { get; }
    /// <summary>The console UART (PL011 at 0x0900_0000).</summary>
    public Devices.Pl011Uart Console { get; } = new();

    /// <summary>Memory-mapped devices, searched when a translated access leaves RAM.</summary>
    public IReadOnlyList<Devices.IMmioDevice> Devices => _devices;
    private readonly List<Devices.IMmioDevice> _devices = [];

    /// <summary>Finds the device decoding <paramref name="pa"/>, or null.</summary>
    internal Devices.IMmioDevice? DeviceAt(ulong pa)
    {
        foreach (var d in _devices)
            if (pa >= d.Base && pa - d.Base < d.Size) return d;
        return null;
    }

    /// <summary>Where executed system instructions are reported; null (the default) costs nothing.</summary>
    public IInstructionTrace? Trace { get; set; }

    /// <summary>Counters of every CPU added together.</summary>
    public CpuCounters TotalCounters()
    {
        var total = new CpuCounters();
        foreach (var cpu in _cpus) total.Add(cpu.Counters);
        return total;
    }

    /// <summary>An Inner Shareable TLBI reaches every PE of the domain, the issuer included (reference §4.2).</summary>
    internal int BroadcastTlbi(TlbiOp op, ulong xt, int asidBits)
    {
        int removed = 0;
        foreach (var cpu in _cpus) removed += cpu.ReceiveTlbi(op, xt, asidBits);
        return removed;
    }

    private readonly Timing.Calendar _dvm = new();

    /// <summary>Broadcast TLBIs that waited for others in flight (the mesh model), and the cycles they waited.</summary>
    public long DvmWaits { get; private set; }
    public long DvmWaitCycles { get; private set; }

    /// <summary>
    /// The latency of a broadcast TLBI issued at <paramref name="at"/>, as <see cref="MachineConfig.TlbiModel"/> prices
    /// it (see <see cref="CostTable.TlbiMeshCycles"/>).
    /// </summary>
    internal long BroadcastLatency(long at)
    {
        int pes = _cpus.Length;
        if (Config.TlbiModel == TlbiModel.Linear) return Costs.TlbiBroadcastPerCpu * (pes - 1);
        long alone = (long)Math.Round(Costs.TlbiMeshCycles * (Math.Sqrt(pes) - 1));
        if (alone == 0) return 0;
        long start = _dvm.Reserve(at, alone);   // the DVM messages of broadcasts in flight go first
        if (start > at) (DvmWaits, DvmWaitCycles) = (DvmWaits + 1, DvmWaitCycles + start - at);
        if (_dvm.Count > 64) _dvm.Forget(MinClock());
        return start - at + alone;
    }

    /// <summary>The clock of the CPU furthest behind: nothing can happen before it any more.</summary>
    public long MinClock()
    {
        long min = long.MaxValue;
        foreach (var c in _cpus) min = Math.Min(min, c.Clock);
        return min;
    }

    /// <summary>Called when a CPU's checker setting changes, so every micro-TLB forgets what it cached.</summary>
    internal void InvalidateMicroTlbs()
    {
        foreach (var cpu in _cpus) cpu.ClearMicroTlb();
    }
}
