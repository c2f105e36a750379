namespace MiniBSD.Hal.Devices;

/// <summary>
/// A device whose registers sit in the physical address space (memory-mapped I/O). Loads and stores whose translation
/// leads into [Base, Base + Size) reach the device instead of RAM; the kernel maps such ranges as Device memory.
/// </summary>
public interface IMmioDevice
{
    ulong Base { get; }
    ulong Size { get; }

    /// <summary>A load of <paramref name="size"/> bytes at <paramref name="offset"/>; false for an offset the device does not decode (an external abort).</summary>
    bool Read(int cpu, ulong offset, int size, out ulong value);

    /// <summary>A store; false for an offset the device does not decode.</summary>
    bool Write(int cpu, ulong offset, int size, ulong value);
}
