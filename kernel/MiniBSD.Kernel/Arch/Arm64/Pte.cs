using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Registers;

namespace MiniBSD.Kernel.Arch.Arm64;

/// <summary>
/// The kernel's choice of memory attributes and the descriptors it builds (OpenBSD arm64 pte.h / pmap.c roles):
/// MAIR index 0 Normal WB, 1 Normal NC, 2 Device-nGnRE, 3 Device-nGnRnE (reference §1.4 example value).
/// Kernel mappings are global; user mappings are nG, so they are tagged with the pmap's ASID.
/// </summary>
public static class Pte
{
    public const int AttrNormal = 0, AttrNonCacheable = 1, AttrDevice = 2, AttrDeviceStrict = 3;
    public const int ApKernelRw = 0b00, ApUserRw = 0b01, ApKernelRo = 0b10, ApUserRo = 0b11;

    public static Mair Mair => Mair.KernelDefault;

    /// <summary>Kernel data: EL1 read/write, never executable, global.</summary>
    public static Descriptor KernelData(ulong pa, int level) => Leaf(pa, level, ApKernelRw, ng: false, pxn: true, uxn: true);

    /// <summary>Kernel text: EL1 read-only and executable, never executable at EL0, global.</summary>
    public static Descriptor KernelText(ulong pa) => Leaf(pa, 3, ApKernelRo, ng: false, pxn: false, uxn: true);

    /// <summary>Device registers: Device-nGnRE, EL1 read/write, executable nowhere, global.</summary>
    public static Descriptor Device(ulong pa) => Descriptor.Page(pa, ApKernelRw, AttrDevice, sh: 0b00, ng: false, pxn: true, uxn: true);

    /// <summary>User data: EL0 and EL1 read/write, executable nowhere, tagged with the ASID (nG).</summary>
    public static Descriptor UserData(ulong pa, bool writable = true) =>
        Leaf(pa, 3, writable ? ApUserRw : ApUserRo, ng: true, pxn: true, uxn: true);

    /// <summary>User text: read-only, executable at EL0 only (PXN, as every user page must be for EL1).</summary>
    public static Descriptor UserText(ulong pa) => Leaf(pa, 3, ApUserRo, ng: true, pxn: true, uxn: false);

    private static Descriptor Leaf(ulong pa, int level, int ap, bool ng, bool pxn, bool uxn) => level == 3
        ? Descriptor.Page(pa, ap, AttrNormal, sh: 0b11, af: true, ng: ng, pxn: pxn, uxn: uxn)
        : Descriptor.Block(pa, ap, AttrNormal, sh: 0b11, af: true, ng: ng, pxn: pxn, uxn: uxn);
}
