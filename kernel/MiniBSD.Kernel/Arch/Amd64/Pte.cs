using MiniBSD.Hal.X86;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Kernel.Arch.Amd64;

/// <summary>
/// The entries OpenBSD's amd64 pmap builds (pmap.c protection_codes, pg_nx, pg_g_kern, PG_u): present, writable for
/// write access, PG_u for user addresses, NX unless executable. Kernel entries are not global: with PCIDs the kernel's
/// entries live under PCID_KERN and pg_g_kern is 0 (INVPCID types 0 and 1 would not remove G entries).
/// </summary>
public static class Pte
{
    /// <summary>A leaf for <paramref name="pa"/> with the rights <paramref name="prot"/> gives.</summary>
    public static PageEntry Leaf(ulong pa, VmProt prot, bool user) =>
        PageEntry.Create(pa, writable: (prot & VmProt.Write) != 0, user: user, noExecute: (prot & VmProt.Execute) == 0);

    /// <summary>A page-table pointer: present, writable and user-accessible (the leaf decides: rights AND over levels).</summary>
    public static PageEntry Table(ulong pa, bool user) => PageEntry.Create(pa, writable: true, user: user);

    /// <summary>Kernel data: writable, not executable, supervisor only.</summary>
    public static PageEntry KernelData(ulong pa, bool large = false) => PageEntry.Create(pa, writable: true, user: false, noExecute: true, large: large);

    /// <summary>Kernel text: read-only and executable, supervisor only.</summary>
    public static PageEntry KernelText(ulong pa) => PageEntry.Create(pa, writable: false, user: false);

    /// <summary>Device registers: uncached (PCD, PWT), writable, not executable.</summary>
    public static PageEntry Device(ulong pa) => new(KernelData(pa).Value | PageEntry.PCD | PageEntry.PWT);
}
