namespace MiniBSD.Hal.X86;

/// <summary>
/// One 64-bit paging-structure entry of 4-level paging (Intel SDM Vol. 3A §4.5, tables 4-15 to 4-20): P, R/W, U/S,
/// PWT, PCD, A, D (leaves), PS (PDPTE/PDE: a 1 GiB / 2 MiB page), G (leaves), the frame in [M-1:12], XD in bit 63.
/// The PAT bit is bit 7 in a PTE and bit 12 in a large page.
/// </summary>
public readonly record struct PageEntry(ulong Value)
{
    public const ulong P = 1UL << 0, RW = 1UL << 1, US = 1UL << 2, PWT = 1UL << 3, PCD = 1UL << 4, A = 1UL << 5, D = 1UL << 6;
    public const ulong PS = 1UL << 7, G = 1UL << 8, PatLarge = 1UL << 12, XD = 1UL << 63;
    /// <summary>The largest frame field: bits [51:12].</summary>
    public const ulong FrameMask = 0x000F_FFFF_FFFF_F000;

    public bool Present => (Value & P) != 0;
    public bool Writable => (Value & RW) != 0;
    public bool User => (Value & US) != 0;
    public bool Large => (Value & PS) != 0;
    public bool Global => (Value & G) != 0;
    public bool Accessed => (Value & A) != 0;
    public bool Dirty => (Value & D) != 0;
    public bool NoExecute => (Value & XD) != 0;
    public ulong Frame => Value & FrameMask;

    /// <summary>A leaf for a 4 KiB page, or a table pointer (the same format with PS clear).</summary>
    public static PageEntry Create(ulong pa, bool writable, bool user, bool noExecute = false, bool global = false, bool large = false) =>
        new((pa & FrameMask) | P | (writable ? RW : 0) | (user ? US : 0) | (noExecute ? XD : 0) | (global ? G : 0) | (large ? PS : 0));

    /// <summary>The level's name: 0 PML4E, 1 PDPTE, 2 PDE, 3 PTE (MiniBSD numbers x86 levels as arm64's L0-L3).</summary>
    public static string LevelName(int level) => level switch { 0 => "PML4E", 1 => "PDPTE", 2 => "PDE", _ => "PTE" };

    /// <summary>The bits, decoded, as ptdump and the walk explainer show them.</summary>
    public string Describe(int level)
    {
        if (!Present) return "not present (P=0)";
        bool leaf = level == 3 || (Large && level is 1 or 2);
        string kind = leaf ? (level == 3 ? "4 KiB page" : level == 2 ? "2 MiB page" : "1 GiB page") : "table";
        return $"{kind} 0x{(leaf && level < 3 ? Value & FrameMask & ~((1UL << (12 + 9 * (3 - level))) - 1) : Frame):X}"
            + $" {(Writable ? "RW" : "RO")} {(User ? "U" : "S")}{(NoExecute ? " XD" : "")}{(Accessed ? " A" : "")}"
            + $"{(leaf && Dirty ? " D" : "")}{(leaf && Global ? " G" : "")}{((Value & PCD) != 0 ? " PCD" : "")}{((Value & PWT) != 0 ? " PWT" : "")}";
    }
}

/// <summary>The #PF error code (Intel SDM Vol. 3A §4.7, figure 4-12).</summary>
[Flags]
public enum PageFaultError : uint
{
    None = 0,
    /// <summary>0: a not-present entry; 1: a protection or reserved-bit violation.</summary>
    Present = 1 << 0,
    Write = 1 << 1,
    User = 1 << 2,
    ReservedBit = 1 << 3,
    /// <summary>An instruction fetch, reported only when EFER.NXE or CR4.SMEP is set.</summary>
    Fetch = 1 << 4,
}

public static class PageFaultErrors
{
    public static string Describe(this PageFaultError e) =>
        $"0x{(uint)e:x} ({((e & PageFaultError.Present) != 0 ? "P" : "not present")}{((e & PageFaultError.Write) != 0 ? " W" : " R")}"
        + $"{((e & PageFaultError.User) != 0 ? " U" : " S")}{((e & PageFaultError.ReservedBit) != 0 ? " RSVD" : "")}{((e & PageFaultError.Fetch) != 0 ? " I" : "")})";
}
