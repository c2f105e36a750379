namespace MiniBSD.Kernel.Abi;

/// <summary>sys/sysctl.h: the MIB names MiniBSD answers (OpenBSD's numbers).</summary>
public static class Sysctl
{
    /// <summary>CTL_MAXNAME: the longest name.</summary>
    public const int CTL_MAXNAME = 12;

    public const int CTL_KERN = 1;
    public const int CTL_HW = 6;

    public const int KERN_OSTYPE = 1;
    public const int KERN_OSRELEASE = 2;
    public const int KERN_MAXPROC = 6;

    public const int HW_MACHINE = 1;
    public const int HW_NCPU = 3;
    public const int HW_PAGESIZE = 7;
    public const int HW_PHYSMEM64 = 19;

    /// <summary>CTLTYPE_INT, CTLTYPE_STRING, CTLTYPE_QUAD: how a value is laid out.</summary>
    public enum CtlType : byte { Int = 2, String = 3, Quad = 4 }

    /// <summary>The names sysctl(8) prints, with their MIB and type.</summary>
    public static IReadOnlyList<(string Name, int[] Mib, CtlType Type)> Names { get; } =
    [
        ("kern.ostype", [CTL_KERN, KERN_OSTYPE], CtlType.String),
        ("kern.osrelease", [CTL_KERN, KERN_OSRELEASE], CtlType.String),
        ("kern.maxproc", [CTL_KERN, KERN_MAXPROC], CtlType.Int),
        ("hw.machine", [CTL_HW, HW_MACHINE], CtlType.String),
        ("hw.ncpu", [CTL_HW, HW_NCPU], CtlType.Int),
        ("hw.pagesize", [CTL_HW, HW_PAGESIZE], CtlType.Int),
        ("hw.physmem", [CTL_HW, HW_PHYSMEM64], CtlType.Quad),
    ];
}
