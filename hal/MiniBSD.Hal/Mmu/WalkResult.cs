using MiniBSD.Hal.Registers;

namespace MiniBSD.Hal.Mmu;

/// <summary>The outcome of one stage-1 translation: a leaf translation, or a fault with its level.</summary>
public readonly struct WalkResult
{
    public FaultKind Fault { get; init; }
    /// <summary>Fault level, or the level of the leaf on success (1, 2 or 3; 0 with the MMU off).</summary>
    public int Level { get; init; }
    /// <summary>The leaf's output address, aligned to its size.</summary>
    public ulong OutputBase { get; init; }
    /// <summary>log2 of the leaf size: 12 (page), 21 (2 MiB block), 30 (1 GiB block).</summary>
    public int Shift { get; init; }
    public Permissions Permissions { get; init; }
    /// <summary>The MAIR_EL1 byte the leaf's AttrIndx selects.</summary>
    public byte Attr { get; init; }
    /// <summary>Descriptor SH[9:8].</summary>
    public int Sh { get; init; }
    public bool NotGlobal { get; init; }
    /// <summary>The leaf is writable-clean under TCR.HD (DBM=1, AP[2]=1): a write re-walks to set it dirty.</summary>
    public bool DirtyPending { get; init; }
    /// <summary>The leaf descriptor as the walk used it (after any hardware AF/dirty update).</summary>
    public ulong Descriptor { get; init; }
    public ulong DescriptorAddress { get; init; }
    /// <summary>Descriptor reads the walk made (0 with the MMU off or a fault before the first read).</summary>
    public int Reads { get; init; }

    public bool IsFault => Fault != FaultKind.None;
    public FaultStatus Status => Fault.ToStatus(Level);
    public ulong PhysicalAddress(ulong va) => OutputBase | (va & ((1UL << Shift) - 1));

    internal static WalkResult Faulted(FaultKind kind, int level, int reads) => new() { Fault = kind, Level = level, Reads = reads };
}
