using System.Runtime.CompilerServices;

namespace MiniBSD.Hal.Mmu;

/// <summary>
/// What a leaf translation allows, computed once at walk time from AP, UXN, PXN, the table attributes
/// and SCTLR_EL1.WXN (Q-ptw get_S1prot; reference §2.4). PAN is applied at access time because
/// PSTATE.PAN can change while the TLB entry lives.
/// </summary>
[Flags]
public enum Permissions : byte
{
    None = 0,
    El0Read = 1 << 0,
    El0Write = 1 << 1,
    El0Execute = 1 << 2,
    El1Read = 1 << 3,
    El1Write = 1 << 4,
    El1Execute = 1 << 5,
    /// <summary>AP[1] after APTable: EL0 has data access, so PAN denies EL1 data accesses.</summary>
    El0Data = 1 << 6,
}

public static class PermissionRules
{
    /// <summary>
    /// Stage-1 permissions of a leaf in the EL1&amp;0 regime with two VA ranges.
    /// AP[2:1]: 00 EL1 RW; 01 EL1 RW, EL0 RW; 10 EL1 RO; 11 EL1 RO, EL0 RO.
    /// EL0 executes iff UXN=0 and not (WXN and EL0-writable).
    /// EL1 executes iff PXN=0, the page is not EL0-writable, and not (WXN and EL1-writable).
    /// </summary>
    public static Permissions Compute(int ap, bool uxn, bool pxn, bool wxn)
    {
        bool el0 = (ap & 1) != 0;
        bool readOnly = (ap & 2) != 0;
        var p = Permissions.El1Read;
        if (!readOnly) p |= Permissions.El1Write;
        if (el0)
        {
            p |= Permissions.El0Read | Permissions.El0Data;
            if (!readOnly) p |= Permissions.El0Write;
        }
        bool el0Write = (p & Permissions.El0Write) != 0;
        if (!uxn && !(wxn && el0Write)) p |= Permissions.El0Execute;
        if (!pxn && !el0Write && !(wxn && (p & Permissions.El1Write) != 0)) p |= Permissions.El1Execute;
        return p;
    }

    /// <summary>
    /// True when the access is allowed. <paramref name="pan"/> is PSTATE.PAN for an EL1 data access
    /// (false for AT S1E1R/W, which ignore PAN, and for instruction fetches, which PAN never affects).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Allows(this Permissions p, AccessType access, bool el0, bool pan)
    {
        if (el0)
            return access switch
            {
                AccessType.Read => (p & Permissions.El0Read) != 0,
                AccessType.Write => (p & Permissions.El0Write) != 0,
                _ => (p & Permissions.El0Execute) != 0,
            };
        if (access == AccessType.Execute) return (p & Permissions.El1Execute) != 0;
        if (pan && (p & Permissions.El0Data) != 0) return false;
        return (p & (access == AccessType.Read ? Permissions.El1Read : Permissions.El1Write)) != 0;
    }

    public static string Describe(this Permissions p) =>
        $"EL1 {(p.HasFlag(Permissions.El1Read) ? "r" : "-")}{(p.HasFlag(Permissions.El1Write) ? "w" : "-")}{(p.HasFlag(Permissions.El1Execute) ? "x" : "-")}"
        + $" EL0 {(p.HasFlag(Permissions.El0Read) ? "r" : "-")}{(p.HasFlag(Permissions.El0Write) ? "w" : "-")}{(p.HasFlag(Permissions.El0Execute) ? "x" : "-")}";
}
