namespace MiniBSD.Kernel.Arch.Amd64;

/// <summary>
/// The kernel's address-space layout on amd64 (OpenBSD sys/arch/amd64/include/vmparam.h and pmap.h): user space in the
/// lower half below the hole, the kernel in the upper half with a direct map of all RAM at OpenBSD's PMAP_DIRECT_BASE
/// (PML4 slot 507) and the console's registers at the top (slot 510).
/// </summary>
public static class VmParam
{
    /// <summary>PMAP_DIRECT_BASE: PA p is at DirectMapBase + (p - RAM base).</summary>
    public const ulong DirectMapBase = 0xFFFF_FD80_0000_0000;

    /// <summary>VM_MAXUSER_ADDRESS: the last user address + 1 (OpenBSD amd64's value, a page below slot 255's recursive map).</summary>
    public const ulong VmMaxUserAddress = 0x0000_7F7F_FFFF_C000;

    /// <summary>The first PML4 slot of the kernel half: user pmaps share slots 256-511 with the kernel pmap.</summary>
    public const int KernelSlot = 256;

    /// <summary>The console UART's registers, mapped uncached.</summary>
    public const ulong UartVa = Dev.Pl011Console.UartVa;

    /// <summary>The bootstrap kernel image occupies the first 2 MiB of RAM; bootstrap tables follow it.</summary>
    public const ulong KernelImageSize = 2 << 20;
}

/// <summary>OpenBSD amd64's PCIDs (pmap.h): one for the kernel, one shared by every user pmap, one for temporary maps.</summary>
public static class Pcid
{
    public const ushort Kern = 0, Proc = 1, ProcIntel = 2, Temp = 3;
}
