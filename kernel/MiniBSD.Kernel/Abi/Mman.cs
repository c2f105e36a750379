namespace MiniBSD.Kernel.Abi;

/// <summary>mmap(2) flags, OpenBSD sys/mman.h values.</summary>
[Flags]
public enum MapFlags
{
    Shared = 0x0001,
    Private = 0x0002,
    Fixed = 0x0010,
    Anon = 0x1000,
}
