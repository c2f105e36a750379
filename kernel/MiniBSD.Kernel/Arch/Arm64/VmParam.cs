namespace MiniBSD.Kernel.Arch.Arm64;

/// <summary>
/// The kernel's address-space layout (OpenBSD sys/arch/arm64/include/vmparam.h plays this part): user space in
/// TTBR0 (48-bit, ASID-tagged), the kernel in TTBR1 with a direct map of all RAM at <see cref="DirectMapBase"/>.
/// </summary>
public static class VmParam
{
    /// <summary>Start of the TTBR1 half with T1SZ = 16; the direct map maps PA p at DirectMapBase + (p - RAM base).</summary>
    public const ulong DirectMapBase = 0xFFFF_0000_0000_0000;

    /// <summary>
    /// VM_MAXUSER_ADDRESS: OpenBSD arm64's user space is 39 bits (USER_SPACE_BITS 39), less 32 KiB at the top:
    /// 2^39 - 0x8000. TTBR0 still translates 48 bits (T0SZ = 16), so the walk has one more level than OpenBSD's and
    /// every user address is under L0 entry 0.
    /// </summary>
    public const ulong VmMaxUserAddress = (1UL << 39) - 0x8000;

    /// <summary>Device registers are mapped from here (TTBR1, L0 index 510), one page per device.</summary>
    public const ulong DeviceBase = 0xFFFF_FF00_0000_0000;

    /// <summary>The console UART's registers.</summary>
    public const ulong UartVa = Dev.Pl011Console.UartVa;

    /// <summary>The bootstrap kernel image occupies the first 2 MiB of RAM; bootstrap tables follow it.</summary>
    public const ulong KernelImageSize = 2 << 20;
}
