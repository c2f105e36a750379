using System.Runtime.CompilerServices;
using MiniBSD.Hal.Memory;
using MiniBSD.Hal.Mmu;

namespace MiniBSD.Hal.X86;

/// <summary>What paging depends on: the control registers, EFER and MAXPHYADDR.</summary>
public readonly record struct PagingState(Cr0 Cr0, Cr3 Cr3, Cr4 Cr4, Efer Efer, int PaBits)
{
    /// <summary>4-level paging (IA-32e): CR0.PG with CR4.PAE and EFER.LME.</summary>
    public bool FourLevel => Cr0.Pg && Cr4.Pae && Efer.Lme;
    /// <summary>The PCID translations are tagged with now (0 unless CR4.PCIDE).</summary>
    public ushort Pcid => Cr3.Pcid(Cr4.Pcide);
}

/// <summary>How a translation ended.</summary>
public enum X86Fault : byte { None, PageFault, GeneralProtection }

/// <summary>The outcome of one 4-level translation: a leaf, a #PF with its error code, or a #GP.</summary>
public readonly struct PagingResult
{
    public X86Fault Fault { get; init; }
    public PageFaultError Error { get; init; }
    /// <summary>The leaf's level (1 PDPTE, 2 PDE, 3 PTE), or the level whose entry stopped the walk.</summary>
    public int Level { get; init; }
    public ulong OutputBase { get; init; }
    public int Shift { get; init; }
    /// <summary>U/S, R/W and XD combined over every level (<see cref="X86Rights"/>).</summary>
    public Permissions Rights { get; init; }
    public bool Global { get; init; }
    public bool Dirty { get; init; }
    /// <summary>The PAT index (PAT:PCD:PWT) of the leaf.</summary>
    public byte Attr { get; init; }
    public ulong Entry { get; init; }
    public ulong EntryAddress { get; init; }
    public int Reads { get; init; }

    public bool IsFault => Fault != X86Fault.None;
    public ulong PhysicalAddress(ulong va) => OutputBase | (va & ((1UL << Shift) - 1));
}

/// <summary>
/// The x86-64 4-level walk of Intel SDM Vol. 3A §4.5, with the access rights of §4.6, the #PF error code of §4.7 and
/// the accessed and dirty flags of §4.8. A non-canonical address is #GP(0) with no walk. Each entry is an 8-byte
/// physical read (outside RAM the bus reads all ones, as a master abort does and QEMU's unassigned_mem_read returns); an entry with P = 0 stops the walk
/// (error code P = 0), a present entry with a reserved bit set stops it with RSVD = 1 and P = 1. Reserved: bits
/// [51:M] everywhere, XD when EFER.NXE = 0, PS in a PML4E, bits [29:13] of a 1 GiB page and [20:13] of a 2 MiB page.
/// A is set in every entry the walk goes through and, with D on a write, in the leaf once the access is allowed,
/// each as one atomic update in memory.
/// </summary>
public static class PagingWalker
{
    public readonly record struct Options(int Cpl, bool Ac, bool UpdateAccessed = true, bool CheckPermission = true, PagingTrace? Trace = null);

    /// <summary>Bits [63:47] all equal: the address is canonical for 48-bit linear addresses.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsCanonical(ulong va) => (ulong)((long)va >> 47) + 1 <= 1;

    public static PagingResult Walk(PhysicalMemory memory, in PagingState s, ulong va, AccessType access, Options o)
    {
        var error = AccessBits(s, access, o.Cpl);
        if (!IsCanonical(va))
        {
            o.Trace?.NotCanonical(va);
            return new PagingResult { Fault = X86Fault.GeneralProtection };
        }
        ulong paMask = (1UL << s.PaBits) - 1;
        ulong reservedHigh = PageEntry.FrameMask & ~paMask;
        if (!s.Efer.Nxe) reservedHigh |= PageEntry.XD;
        ulong table = s.Cr3.Pml4(s.PaBits);
        bool user = true, writable = true, noExecute = false;
        for (int level = 0, reads = 1; level <= 3; level++, reads++)
        {
            int index = (int)((va >> (39 - 9 * level)) & 511);
            ulong address = table + 8 * (ulong)index;
            ulong e = memory.TryRead64(address, out ulong read) ? read : ulong.MaxValue;
            o.Trace?.Step(level, table, index, address, e);
            if ((e & PageEntry.P) == 0)
            {
                o.Trace?.NotPresent(level, error);
                return Stop(level, reads, error);
            }
            if ((e & Reserved(level, e, reservedHigh)) != 0)
            {
                o.Trace?.ReservedBits(level, e & Reserved(level, e, reservedHigh), error | PageFaultError.Present | PageFaultError.ReservedBit);
                return Stop(level, reads, error | PageFaultError.Present | PageFaultError.ReservedBit);
            }
            user &= (e & PageEntry.US) != 0;
            writable &= (e & PageEntry.RW) != 0;
            noExecute |= (e & PageEntry.XD) != 0;
            bool leaf = level == 3 || (level > 0 && (e & PageEntry.PS) != 0);
            if (!leaf)
            {
                if (o.UpdateAccessed) SetFlags(memory, address, e, PageEntry.A);
                table = e & PageEntry.FrameMask & paMask;
                continue;
            }
            var rights = X86Rights.Combine(user, writable, noExecute);
            if (o.CheckPermission && !X86Rights.Allows(rights, access, o.Cpl, s.Cr0.Wp, s.Cr4.Smep, s.Cr4.Smap, o.Ac))
            {
                o.Trace?.Refused(rights, access, s, o, error | PageFaultError.Present);
                return Stop(level, reads, error | PageFaultError.Present);
            }
            ulong set = PageEntry.A | (access == AccessType.Write ? PageEntry.D : 0);
            if (o.UpdateAccessed) e = SetFlags(memory, address, e, set);
            int shift = 12 + 9 * (3 - level);
            var result = new PagingResult
            {
                Level = level,
                Shift = shift,
                OutputBase = e & PageEntry.FrameMask & paMask & ~((1UL << shift) - 1),
                Rights = rights,
                Global = (e & PageEntry.G) != 0 && s.Cr4.Pge,
                Dirty = (e & PageEntry.D) != 0,
                Attr = Pat(e, level),
                Entry = e,
                EntryAddress = address,
                Reads = reads,
            };
            o.Trace?.Leaf(level, rights, result.PhysicalAddress(va));
            return result;
        }
        throw new InvalidOperationException("unreachable: level 3 is always a leaf");
    }

    /// <summary>The error-code bits that describe the access itself: W/R, U/S (CPL 3), I/D (with NXE or SMEP).</summary>
    private static PageFaultError AccessBits(in PagingState s, AccessType access, int cpl) =>
        (access == AccessType.Write ? PageFaultError.Write : 0)
        | (cpl == 3 ? PageFaultError.User : 0)
        | (access == AccessType.Execute && (s.Efer.Nxe || s.Cr4.Smep) ? PageFaultError.Fetch : 0);

    /// <summary>The reserved bits of a present entry at this level (SDM tables 4-14 to 4-20).</summary>
    private static ulong Reserved(int level, ulong e, ulong reservedHigh) => level switch
    {
        0 => reservedHigh | PageEntry.PS,
        1 when (e & PageEntry.PS) != 0 => reservedHigh | 0x3FFF_E000,   // bits 29:13 of a 1 GiB page
        2 when (e & PageEntry.PS) != 0 => reservedHigh | 0x1F_E000,     // bits 20:13 of a 2 MiB page
        _ => reservedHigh,
    };

    private static byte Pat(ulong e, int level)
    {
        ulong pat = level == 3 ? (e >> 7) & 1 : (e >> 12) & 1;
        return (byte)(pat << 2 | ((e >> 3) & 3));
    }

    /// <summary>Sets flags in an entry with one locked read-modify-write (SDM §4.8), if they are not all set already.</summary>
    private static ulong SetFlags(PhysicalMemory memory, ulong address, ulong e, ulong flags)
    {
        if ((e & flags) == flags) return e;
        e |= flags;
        memory.TryWrite64(address, e);
        return e;
    }

    private static PagingResult Stop(int level, int reads, PageFaultError error) =>
        new() { Fault = X86Fault.PageFault, Error = error, Level = level, Reads = reads };
}

/// <summary>
/// The rights of an x86 leaf, kept in the same <see cref="Permissions"/> flags the arm64 TLB uses, as the leaf gives
/// them (SDM §4.6): EL0 = CPL 3 on a user-mode address (U/S = 1 at every level), write = R/W = 1 at every level,
/// execute = XD clear at every level. CR0.WP, CR4.SMEP, CR4.SMAP and RFLAGS.AC are applied at access time, since they
/// can change while the TLB entry lives; <see cref="Permissions.El0Data"/> marks a user-mode address.
/// </summary>
public static class X86Rights
{
    public static Permissions Combine(bool user, bool writable, bool noExecute)
    {
        var p = Permissions.El1Read;
        if (writable) p |= Permissions.El1Write;
        if (!noExecute) p |= Permissions.El1Execute;
        if (user)
        {
            p |= Permissions.El0Read | Permissions.El0Data;
            if (writable) p |= Permissions.El0Write;
            if (!noExecute) p |= Permissions.El0Execute;
        }
        return p;
    }

    /// <summary>SDM §4.6.1: whether an access at <paramref name="cpl"/> is allowed by these rights and the control bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Allows(Permissions p, AccessType access, int cpl, bool wp, bool smep, bool smap, bool ac)
    {
        bool userAddress = (p & Permissions.El0Data) != 0;
        if (cpl == 3)
            return access switch
            {
                AccessType.Read => userAddress,
                AccessType.Write => (p & Permissions.El0Write) != 0,
                _ => (p & Permissions.El0Execute) != 0,
            };
        if (access == AccessType.Execute) return !(userAddress && smep) && (p & Permissions.El1Execute) != 0;
        if (userAddress && smap && !ac) return false;                 // an explicit supervisor access to a user page
        return access == AccessType.Read || !wp || (p & Permissions.El1Write) != 0;
    }

    public static string Describe(Permissions p) =>
        $"{((p & Permissions.El0Data) != 0 ? "U" : "S")} {((p & Permissions.El1Write) != 0 ? "RW" : "RO")}{((p & Permissions.El1Execute) != 0 ? "" : " XD")}";
}

/// <summary>
/// A record of a walk for <c>mmu walk --explain</c>: each entry read and why the walk ended. Its words are made only
/// when a walk is traced, so an untraced walk (every TLB miss) builds no string.
/// </summary>
public sealed class PagingTrace
{
    public List<(int Level, ulong Table, int Index, ulong Address, ulong Entry)> Steps { get; } = [];
    public string Outcome { get; private set; } = "";
    internal void Step(int level, ulong table, int index, ulong address, ulong entry) => Steps.Add((level, table, index, address, entry));

    internal void NotCanonical(ulong va) => Outcome = $"VA 0x{va:X16} is not canonical (bits 63:47 differ): #GP(0), no walk";

    internal void NotPresent(int level, PageFaultError error) => Outcome = $"{PageEntry.LevelName(level)} not present: #PF error code {error.Describe()}";

    internal void ReservedBits(int level, ulong bits, PageFaultError error) =>
        Outcome = $"{PageEntry.LevelName(level)} sets reserved bits 0x{bits:X}: #PF error code {error.Describe()}";

    internal void Refused(Mmu.Permissions rights, AccessType access, in PagingState s, in PagingWalker.Options o, PageFaultError error) =>
        Outcome = $"rights {X86Rights.Describe(rights)} do not allow a CPL{o.Cpl} {access.ToString().ToLowerInvariant()}"
            + (o.Cpl == 3 ? "" : $" (CR0.WP={(s.Cr0.Wp ? 1 : 0)} CR4.SMEP={(s.Cr4.Smep ? 1 : 0)} CR4.SMAP={(s.Cr4.Smap ? 1 : 0)} RFLAGS.AC={(o.Ac ? 1 : 0)})")
            + $": #PF error code {error.Describe()}";

    internal void Leaf(int level, Mmu.Permissions rights, ulong pa) => Outcome = $"{PageEntry.LevelName(level)} leaf, rights {X86Rights.Describe(rights)}: PA 0x{pa:X}";
}
