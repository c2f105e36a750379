namespace MiniBSD.Hal.Registers;

/// <summary>MAIR_EL1: eight attribute bytes chosen by a descriptor's AttrIndx (reference §1.4).</summary>
public readonly record struct Mair(ulong Value)
{
    public const byte DeviceNGnRnE = 0x00, DeviceNGnRE = 0x04, DeviceGRE = 0x0C;
    public const byte NormalNonCacheable = 0x44, NormalWriteThrough = 0xBB, NormalWriteBack = 0xFF;

    public byte Attr(int index) => (byte)(Value >> (8 * (index & 7)));

    /// <summary>The reference's example: Attr0 Normal WB, Attr1 Normal NC, Attr2 Device-nGnRE, Attr3 Device-nGnRnE.</summary>
    public static Mair KernelDefault => new(0x0000_0000_0004_44FF);

    /// <summary>Device memory is attribute 0b0000_dd00 (upper nibble zero).</summary>
    public static bool IsDevice(byte attr) => (attr & 0xF0) == 0;

    /// <summary>Normal Non-cacheable inner and outer (0x44; 0x40 is treated alike, as QEMU does).</summary>
    public static bool IsNormalNonCacheable(byte attr) => attr is 0x44 or 0x40;

    /// <summary>A short name for an attribute byte, as the explainer prints it.</summary>
    public static string Describe(byte attr)
    {
        if (IsDevice(attr))
            return (attr & 3) != 0 ? $"Device (reserved encoding 0x{attr:X2})" : ((attr >> 2) & 3) switch
            {
                0 => "Device-nGnRnE",
                1 => "Device-nGnRE",
                2 => "Device-nGRE",
                _ => "Device-GRE",
            };
        return $"Normal outer {Policy(attr >> 4)} inner {Policy(attr & 0xF)}";
    }

    private static string Policy(int p) => p switch
    {
        0b0100 => "NC",
        >= 0b1100 => "WB",
        >= 0b1000 => "WT",
        >= 0b0101 => "WB-transient",
        >= 0b0001 => "WT-transient",
        _ => "reserved",
    };

    public override string ToString() => $"0x{Value:X16}";
}
