using MiniBSD.Hal;

namespace MiniBSD.Kernel.Uvm;

/// <summary>
/// The virtual memory system (OpenBSD sys/uvm): what its files keep in globals lives here, and their functions are
/// this class's methods, split by source file: UvmMap.cs (uvm_map.c), UvmAmap.cs (uvm_amap.c/uvm_anon.c),
/// UvmFault.cs (uvm_fault.c), UvmMmap.cs (uvm_mmap.c). Every function takes the CPU it runs on.
/// </summary>
public sealed partial class Uvm(Machine machine, UvmPage pages, IPmap pmaps, Kern.IUserAccess userAccess)
{
    public Machine Machine { get; } = machine;
    public UvmPage Pages { get; } = pages;
    public IPmap Pmaps { get; } = pmaps;

    /// <summary>How the kernel reaches user memory on this machine (copyin and copyout go through it).</summary>
    public Kern.IUserAccess UserAccess { get; } = userAccess;

    /// <summary>uvmexp's fault counters.</summary>
    public UvmExp Exp { get; } = new();

    /// <summary>uvm_anon_pool: anons whose last reference went, ready for the next fault.</summary>
    private readonly Stack<VmAnon> _anonPool = new();
}
