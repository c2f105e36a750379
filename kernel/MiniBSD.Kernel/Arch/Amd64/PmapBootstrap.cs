using MiniBSD.Hal;
using MiniBSD.Hal.X86;

namespace MiniBSD.Kernel.Arch.Amd64;

/// <summary>
/// Early table building on amd64 before the page allocator exists (pmap_bootstrap and locore0's page tables): frames
/// are stolen in order after the kernel image and entries stored straight into RAM. Every entry goes from not present
/// to present, which needs no invalidation (the TLB never caches a not-present translation).
/// </summary>
public sealed class PmapBootstrap(Machine machine, ulong firstFree)
{
    public ulong NextFree { get; private set; } = firstFree;

    public ulong StealPage(Cpu cpu)
    {
        ulong pa = NextFree;
        if (!machine.Memory.Contains(pa, 0x1000)) throw new InvalidOperationException("PmapBootstrap.StealPage: out of RAM during bootstrap");
        NextFree += 0x1000;
        cpu.ZeroFrame(pa);
        return pa;
    }

    /// <summary>Stores <paramref name="leaf"/> as the level-<paramref name="level"/> entry for <paramref name="va"/> under the PML4 <paramref name="pml4"/>.</summary>
    public void Enter(Cpu cpu, ulong pml4, ulong va, int level, PageEntry leaf)
    {
        ulong table = pml4;
        for (int l = 0; l < level; l++)
        {
            ulong slot = table + Index(va, l) * 8;
            var e = new PageEntry(machine.Memory.Read64(slot));
            if (!e.Present)
            {
                e = Pte.Table(StealPage(cpu), user: false);
                machine.Memory.Write64(slot, e.Value);
            }
            else if (e.Large)
            {
                throw new InvalidOperationException($"PmapBootstrap.Enter: VA 0x{va:X} is inside a large page at level {l}");
            }
            table = e.Frame;
        }
        machine.Memory.Write64(table + Index(va, level) * 8, leaf.Value);
    }

    /// <summary>The index VA bits select at a level (0 PML4 [47:39], 1 PDPT, 2 PD, 3 PT [20:12]).</summary>
    public static ulong Index(ulong va, int level) => (va >> (39 - 9 * level)) & 511;
}
