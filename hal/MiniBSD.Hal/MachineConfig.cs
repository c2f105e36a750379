using MiniBSD.Hal.Cost;
using MiniBSD.Hal.Memory;
using MiniBSD.Hal.Tlb;

namespace MiniBSD.Hal;

/// <summary>
/// How a broadcast (Inner Shareable) TLBI's latency is modelled. <see cref="Mesh"/>, the default: a base that grows
/// with the square root of the PEs in the domain (the diameter of a 2D mesh interconnect) and DVM messages that
/// serialise, so concurrent broadcasters wait for each other (CostTable.TlbiMeshCycles says from what).
/// <see cref="Linear"/>: the model before issue #12, TlbiBroadcastPerCpu per other PE, no interference.
/// </summary>
public enum TlbiModel
{
    Mesh,
    Linear,
}

/// <summary>What machine to build: CPUs, RAM, the MMU's reported features, TLB shape and costs.</summary>
public sealed record MachineConfig
{
    public const ulong MiB = 1UL << 20;
    public const ulong GiB = 1UL << 30;

    /// <summary>The CPUs' architecture: arm64 (the default) or amd64.</summary>
    public Arch Arch { get; init; } = Arch.Arm64;
    /// <summary>Number of cores, 1 to 64.</summary>
    public int Cpus { get; init; } = 4;
    /// <summary>RAM size in bytes (default 512 MiB); backed lazily, so 4 GiB or more costs only what is touched.</summary>
    public ulong MemoryBytes { get; init; } = 512 * MiB;
    public ulong RamBase { get; init; } = PhysicalMemory.DefaultBase;
    /// <summary>ID_AA64MMFR0_EL1.PARange as a width: 32, 36, 40, 42, 44 or 48; on amd64 MAXPHYADDR, 32 to 52.</summary>
    public int PaBits { get; init; } = 48;
    /// <summary>ID_AA64MMFR0_EL1.ASIDBits as a width: 8 or 16.</summary>
    public int AsidBits { get; init; } = 16;
    public TlbGeometry Tlb { get; init; } = TlbGeometry.Default;
    public CostTable Costs { get; init; } = CostTable.Default;
    /// <summary>How a broadcast TLBI is priced: <see cref="TlbiModel.Mesh"/> (from measurements) or the old linear model.</summary>
    public TlbiModel TlbiModel { get; init; } = TlbiModel.Mesh;
    /// <summary>Turn the TLB coherence checker on from the start (tests do; it costs host time).</summary>
    public bool CheckCoherence { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field that is out of range.</summary>
    public void Validate()
    {
        if (Cpus is < 1 or > 64) throw new ArgumentException($"Cpus={Cpus}: a machine has 1 to 64 CPUs");
        if (MemoryBytes < MiB || MemoryBytes % PhysicalMemory.FrameSize != 0)
            throw new ArgumentException($"MemoryBytes={MemoryBytes}: RAM must be at least 1 MiB and a multiple of 4 KiB");
        if (MemoryBytes > 64 * GiB) throw new ArgumentException($"MemoryBytes={MemoryBytes}: at most 64 GiB");
        if (Arch == Arch.Amd64)
        {
            if (PaBits is < 32 or > 52) throw new ArgumentException($"PaBits={PaBits}: MAXPHYADDR is 32 to 52 on amd64");
        }
        else
        {
            _ = Registers.IdAa64Mmfr0.Create(PaBits, AsidBits);
        }
        if (RamBase % PhysicalMemory.FrameSize != 0) throw new ArgumentException($"RamBase=0x{RamBase:X}: must be 4 KiB aligned");
        if (RamBase + MemoryBytes > 1UL << PaBits)
            throw new ArgumentException($"RAM [0x{RamBase:X}, 0x{RamBase + MemoryBytes:X}) does not fit a {PaBits}-bit physical address space");
        Tlb.Validate();
    }
}
