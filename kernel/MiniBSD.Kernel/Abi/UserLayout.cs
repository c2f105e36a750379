namespace MiniBSD.Kernel.Abi;

/// <summary>
/// Where execve puts a program in its address space: part of the ABI, as an ELF program's link addresses and the
/// stack's place are (a program's libc may rely on them; the kernel's <see cref="Uvm.VmLayout"/> uses them).
/// </summary>
public static class UserLayout
{
    /// <summary>The text segment (and the entry point) starts here.</summary>
    public const ulong TextStart = 0x10_0000;

    /// <summary>Initialised data starts here; bss follows it, then the heap that obreak grows.</summary>
    public const ulong DataStart = 0x1000_0000;

    /// <summary>USRSTACK: the top of the user stack.</summary>
    public const ulong UsrStack = 0x7F_0000_0000;

    /// <summary>
    /// The stack's size. OpenBSD maps its rlimit (8 MiB by default) and fills it lazily; MiniBSD maps 256 KiB, which
    /// its programs never outgrow, because fork's pmap_protect and exit's pmap_remove visit every page of the entry.
    /// A guard page lies below it.
    /// </summary>
    public const ulong StackSize = 256 << 10;
}
