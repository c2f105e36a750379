namespace MiniBSD.Hal.X86;

/// <summary>CR0 (Intel SDM Vol. 3A §2.5): PeBit, WpBit (supervisor writes honour R/W), PgBit (paging).</summary>
public readonly record struct Cr0(ulong Value)
{
    public const ulong PeBit = 1UL << 0, WpBit = 1UL << 16, PgBit = 1UL << 31;
    public bool Pg => (Value & PgBit) != 0;
    public bool Wp => (Value & WpBit) != 0;
    public override string ToString() => $"0x{Value:X} (PG={(Pg ? 1 : 0)} WP={(Wp ? 1 : 0)})";
}

/// <summary>
/// CR3 (SDM §4.5): the PML4 table's physical address in [M-1:12]; with CR4.PCIDE the PCID in [11:0]; on a write, bit 63
/// asks that the new PCID's entries be kept (SDM §4.10.4.1; not stored).
/// </summary>
public readonly record struct Cr3(ulong Value)
{
    public const ulong NoFlush = 1UL << 63;
    public ulong Pml4(int paBits) => Value & ((1UL << paBits) - 1) & ~0xFFFUL;
    public ushort Pcid(bool pcide) => pcide ? (ushort)(Value & 0xFFF) : (ushort)0;
    public bool KeepsEntries => (Value & NoFlush) != 0;
    public static Cr3 Create(ulong pml4, ushort pcid = 0, bool noFlush = false) => new(pml4 | (pcid & 0xFFFUL) | (noFlush ? NoFlush : 0));
    public override string ToString() => $"0x{Value:X} (PML4 0x{Value & 0x000F_FFFF_FFFF_F000:X}, low bits 0x{Value & 0xFFF:X})";
}

/// <summary>CR4 (SDM §2.5): PaeBit, PgeBit (global pages), PcideBit, SmepBit, SmapBit.</summary>
public readonly record struct Cr4(ulong Value)
{
    public const ulong PaeBit = 1UL << 5, PgeBit = 1UL << 7, PcideBit = 1UL << 17, SmepBit = 1UL << 20, SmapBit = 1UL << 21;
    public bool Pae => (Value & PaeBit) != 0;
    public bool Pge => (Value & PgeBit) != 0;
    public bool Pcide => (Value & PcideBit) != 0;
    public bool Smep => (Value & SmepBit) != 0;
    public bool Smap => (Value & SmapBit) != 0;
    public override string ToString() =>
        $"0x{Value:X} (PAE={(Pae ? 1 : 0)} PGE={(Pge ? 1 : 0)} PCIDE={(Pcide ? 1 : 0)} SMEP={(Smep ? 1 : 0)} SMAP={(Smap ? 1 : 0)})";
}

/// <summary>IA32_EFER (MSR 0xC000_0080): SceBit (SYSCALL), LmeBit (long mode), LmaBit (active, read-only), NxeBit (XD bit).</summary>
public readonly record struct Efer(ulong Value)
{
    public const ulong SceBit = 1UL << 0, LmeBit = 1UL << 8, LmaBit = 1UL << 10, NxeBit = 1UL << 11;
    public bool Sce => (Value & SceBit) != 0;
    public bool Lme => (Value & LmeBit) != 0;
    public bool Nxe => (Value & NxeBit) != 0;
    public override string ToString() => $"0x{Value:X} (LME={(Lme ? 1 : 0)} NXE={(Nxe ? 1 : 0)} SCE={(Sce ? 1 : 0)})";
}

/// <summary>RFLAGS bits the MMU and the system-call path use.</summary>
public static class RflagsBits
{
    public const ulong IF = 1UL << 9, AC = 1UL << 18, Reserved1 = 1UL << 1;
}

/// <summary>Model-specific registers MiniBSD implements (SDM Vol. 4).</summary>
public static class Msr
{
    public const uint Efer = 0xC000_0080, Star = 0xC000_0081, Lstar = 0xC000_0082, Sfmask = 0xC000_0084;
    public const uint GsBase = 0xC000_0101, KernelGsBase = 0xC000_0102;
    /// <summary>x2APIC interrupt command register (SDM Vol. 3A §11.12.9): EDX the destination APIC ID, EAX vector and mode.</summary>
    public const uint X2ApicIcr = 0x830;
    /// <summary>x2APIC EOI register: a write of 0 ends the interrupt being serviced.</summary>
    public const uint X2ApicEoi = 0x80B;
    /// <summary>IA32_TSC_DEADLINE: the local APIC timer fires when the TSC reaches it (0 disarms).</summary>
    public const uint TscDeadline = 0x6E0;
}

/// <summary>Exception and interrupt vectors (SDM Vol. 3A §6.3.1) and OpenBSD amd64's IPI vectors (i82489var.h).</summary>
public static class Vector
{
    public const int UD = 6, GP = 13, PF = 14;
    /// <summary>OpenBSD LAPIC_IPI_INVLTLB, INVLPG, INVLRANGE (0xf0-0xf2), the generic IPI (0xe0) and the timer (0xc0).</summary>
    public const int IpiInvltlb = 0xF0, IpiInvlpg = 0xF1, IpiInvlrange = 0xF2, Ipi = 0xE0, Timer = 0xC0;
}
