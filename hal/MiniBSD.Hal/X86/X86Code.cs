namespace MiniBSD.Hal.X86;

/// <summary>
/// The byte encodings of the x86-64 system instructions the kernel executes (Intel SDM Vol. 2; each decoded by
/// Iced in the tests). The register operands are the ones <see cref="X86Operands"/> carries: RAX, RCX, RDX, R11.
/// </summary>
public static class X86Code
{
    /// <summary>mov cr0, rax (0F 22 /0, ModRM 0xC0).</summary>
    public static ReadOnlySpan<byte> MovCr0Rax => [0x0F, 0x22, 0xC0];
    /// <summary>mov cr3, rax (0F 22 /3, ModRM 0xD8).</summary>
    public static ReadOnlySpan<byte> MovCr3Rax => [0x0F, 0x22, 0xD8];
    /// <summary>mov cr4, rax (0F 22 /4, ModRM 0xE0).</summary>
    public static ReadOnlySpan<byte> MovCr4Rax => [0x0F, 0x22, 0xE0];
    /// <summary>mov rax, cr0 (0F 20 /0).</summary>
    public static ReadOnlySpan<byte> MovRaxCr0 => [0x0F, 0x20, 0xC0];
    /// <summary>mov rax, cr2 (0F 20 /2): the faulting address of the last #PF.</summary>
    public static ReadOnlySpan<byte> MovRaxCr2 => [0x0F, 0x20, 0xD0];
    /// <summary>mov rax, cr3.</summary>
    public static ReadOnlySpan<byte> MovRaxCr3 => [0x0F, 0x20, 0xD8];
    /// <summary>mov rax, cr4.</summary>
    public static ReadOnlySpan<byte> MovRaxCr4 => [0x0F, 0x20, 0xE0];
    /// <summary>invlpg [rax] (0F 01 /7, ModRM 0x38).</summary>
    public static ReadOnlySpan<byte> InvlpgRax => [0x0F, 0x01, 0x38];
    /// <summary>invpcid rax, [rcx] (66 0F 38 82 /r, ModRM 0x01): RAX the type, [RCX] the 16-byte descriptor.</summary>
    public static ReadOnlySpan<byte> InvpcidRaxRcx => [0x66, 0x0F, 0x38, 0x82, 0x01];
    /// <summary>wrmsr (0F 30): MSR[ECX] = EDX:EAX.</summary>
    public static ReadOnlySpan<byte> Wrmsr => [0x0F, 0x30];
    /// <summary>rdmsr (0F 32): EDX:EAX = MSR[ECX].</summary>
    public static ReadOnlySpan<byte> Rdmsr => [0x0F, 0x32];
    /// <summary>syscall (0F 05).</summary>
    public static ReadOnlySpan<byte> Syscall => [0x0F, 0x05];
    /// <summary>sysretq (48 0F 07): to CPL 3 at RCX with RFLAGS = R11.</summary>
    public static ReadOnlySpan<byte> Sysretq => [0x48, 0x0F, 0x07];
    /// <summary>iretq (48 CF): return from an exception or interrupt.</summary>
    public static ReadOnlySpan<byte> Iretq => [0x48, 0xCF];
    /// <summary>swapgs (0F 01 F8).</summary>
    public static ReadOnlySpan<byte> Swapgs => [0x0F, 0x01, 0xF8];
    /// <summary>stac (0F 01 CB): RFLAGS.AC = 1, supervisor accesses to user pages allowed under SMAP.</summary>
    public static ReadOnlySpan<byte> Stac => [0x0F, 0x01, 0xCB];
    /// <summary>clac (0F 01 CA).</summary>
    public static ReadOnlySpan<byte> Clac => [0x0F, 0x01, 0xCA];
    /// <summary>mfence (0F AE F0).</summary>
    public static ReadOnlySpan<byte> Mfence => [0x0F, 0xAE, 0xF0];
    /// <summary>pause (F3 90): the spin-wait hint of a busy loop.</summary>
    public static ReadOnlySpan<byte> Pause => [0xF3, 0x90];
}

/// <summary>The general registers a system instruction reads: RAX, RCX, RDX and R11 (SYSRET's RFLAGS).</summary>
public readonly record struct X86Operands(ulong Rax = 0, ulong Rcx = 0, ulong Rdx = 0, ulong R11 = 0);

/// <summary>INVPCID's types (SDM Vol. 2, INVPCID).</summary>
public enum InvpcidType : ulong { Address = 0, SingleContext = 1, AllIncludingGlobal = 2, AllExceptGlobal = 3 }
