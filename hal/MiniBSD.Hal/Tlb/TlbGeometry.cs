namespace MiniBSD.Hal.Tlb;

/// <summary>
/// The shape of a CPU's TLB: a set-associative array for 4 KiB pages and smaller ones for 2 MiB and 1 GiB
/// blocks, each replacing round-robin within a set, so the same accesses always evict the same entries.
/// The default (1024 page entries, 4-way; 32 + 16 block entries) is of the order of a Cortex-A76's
/// 1280-entry L2 TLB (Arm Cortex-A76 TRM, "L2 memory system: TLB").
/// </summary>
public sealed record TlbGeometry(int PageSets = 256, int PageWays = 4, int BlockSets2M = 8, int BlockWays2M = 4, int BlockSets1G = 1, int BlockWays1G = 16)
{
    public static TlbGeometry Default { get; } = new();

    public int Capacity => PageSets * PageWays + BlockSets2M * BlockWays2M + BlockSets1G * BlockWays1G;

    public void Validate()
    {
        Check(PageSets, nameof(PageSets)); Check(BlockSets2M, nameof(BlockSets2M)); Check(BlockSets1G, nameof(BlockSets1G));
        if (PageWays < 1 || BlockWays2M < 1 || BlockWays1G < 1) throw new ArgumentException("TLB ways must be at least 1");
    }

    private static void Check(int sets, string name)
    {
        if (sets < 1 || (sets & (sets - 1)) != 0) throw new ArgumentException($"TLB {name}={sets} must be a power of two");
    }
}
