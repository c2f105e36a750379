namespace MiniBSD.Kernel.Arch.Amd64;

/// <summary>
/// struct pmap (OpenBSD amd64 pmap.h): an address space's PML4 (pm_pdirpa, <see cref="Uvm.Pmap.Root"/>) and its
/// page-table pages. There is no PCID of its own: every user pmap runs under PCID_PROC, flushed whenever a CPU loads
/// another user pmap, so the CPUs that may hold its entries are exactly those whose ci_proc_pmap it is.
/// </summary>
public sealed class Amd64Pmap : Uvm.Pmap
{
    internal Amd64Pmap(ulong pml4, bool isKernel) : base(pml4, isKernel) { }

    /// <summary>pm_pdirpa: the PML4's physical address, what CR3 holds while the pmap runs.</summary>
    public ulong Pml4 => Root;

    public override string ToString() =>
        $"pmap PML4 0x{Pml4:X} active {Active} refs {Refs} resident {ResidentCount} PTPs {TablePages}";
}
