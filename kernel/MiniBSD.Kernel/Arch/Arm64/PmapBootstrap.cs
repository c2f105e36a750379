using MiniBSD.Hal;
using MiniBSD.Hal.Mmu;

namespace MiniBSD.Kernel.Arch.Arm64;

/// <summary>
/// Early table building before the page allocator exists, as OpenBSD's arm64 pmap_bootstrap does: frames are
/// stolen in order after the kernel image (pmap_steal_memory) and descriptors are stored straight into RAM.
/// Nothing here needs TLB maintenance: every entry goes from invalid to valid (faults are never cached).
/// </summary>
public sealed class PmapBootstrap
{
    private readonly Machine _machine;

    public PmapBootstrap(Machine machine, ulong firstFree)
    {
        _machine = machine;
        NextFree = firstFree;
    }

    /// <summary>The first frame not yet stolen: where the page allocator's free memory will begin.</summary>
    public ulong NextFree { get; private set; }

    /// <summary>Takes the next frame, zeroed (pmap_steal_memory).</summary>
    public ulong StealPage(Cpu cpu)
    {
        ulong pa = NextFree;
        if (!_machine.Memory.Contains(pa, 0x1000)) throw new InvalidOperationException("PmapBootstrap.StealPage: out of RAM during bootstrap");
        NextFree += 0x1000;
        cpu.ZeroFrame(pa);
        return pa;
    }

    /// <summary>
    /// Stores <paramref name="leaf"/> as the level-<paramref name="level"/> descriptor for <paramref name="va"/> under
    /// the L0 table <paramref name="root"/>, allocating the tables on the way. Returns the descriptor's address.
    /// </summary>
    public ulong Enter(Cpu cpu, ulong root, ulong va, int level, Descriptor leaf)
    {
        ulong table = root;
        for (int l = 0; l < level; l++)
        {
            ulong slot = table + Index(va, l) * 8;
            var d = new Descriptor(_machine.Memory.Read64(slot));
            if (!d.IsValid)
            {
                d = Descriptor.Table(StealPage(cpu));
                _machine.Memory.Write64(slot, d.Value);
            }
            else if (!d.IsTableOrPage)
            {
                throw new InvalidOperationException($"PmapBootstrap.Enter: VA 0x{va:X} is inside a block at level {l}");
            }
            table = d.Address;
        }
        ulong at = table + Index(va, level) * 8;
        _machine.Memory.Write64(at, leaf.Value);
        return at;
    }

    /// <summary>The index VA bits select at a level of a 4-level, 4 KiB-granule walk (reference §1.1).</summary>
    public static ulong Index(ulong va, int level) => (va >> (12 + 9 * (3 - level))) & 511;
}
