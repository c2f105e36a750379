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

    /// <summary>mmap without MAP_FIXED places mappings at or above the hint, or from here upwards without one.</summary>
    public const ulong MmapBase = 0x40_0000_0000;

    /// <summary>USRSTACK: the top of the user stack.</summary>
    public const ulong UsrStack = 0x7F_0000_0000;

    /// <summary>
    /// DFLSSIZ (amd64 vmparam.h 1.25): the part of the stack execve maps read-write, filled lazily. OpenBSD maps the
    /// stack rlimit's current value, DFLSSIZ unless login.conf says otherwise.
    /// </summary>
    public const ulong StackSize = 2 << 20;

    /// <summary>
    /// MAXSSIZ (amd64 vmparam.h 1.25, 32 MiB on arm64 too): execve reserves this much below USRSTACK, the part below
    /// <see cref="StackSize"/> as PROT_NONE (exec_setup_stack's two vmcmds, exec_subr.c), so nothing else is mapped
    /// there. The reservation is also the guard: a store below the stack faults.
    /// </summary>
    public const ulong MaxStackSize = 32 << 20;
}
