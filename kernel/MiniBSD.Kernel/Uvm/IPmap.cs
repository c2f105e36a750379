using MiniBSD.Hal;

namespace MiniBSD.Kernel.Uvm;

/// <summary>When pmap_remove invalidates TLB entries.</summary>
public enum PmapFlush : byte
{
    /// <summary>As the pmap does it: arm64's ttlb_flush per page while the pmap is active; amd64's shootdown.</summary>
    WhenActive,
    /// <summary>
    /// Never, trusting a single flush later. Correct only after arm64's pmap_purge; with the pmap still loaded it is
    /// the mistake the 2025 design discussion warned about (amd64: shootdowns skipped as if the pmap were inactive),
    /// which the coherence checker catches. For teaching.
    /// </summary>
    Never,
}

/// <summary>
/// The pmap interface (OpenBSD uvm/uvm_pmap.h and pmap(9)): everything the machine-independent kernel asks of a
/// machine's MMU. Every function takes the CPU it runs on. Kern/ and Uvm/ reach the machine only through this and
/// <see cref="Kern.IMachdep"/>.
/// </summary>
public interface IPmap
{
    /// <summary>pmap_kernel().</summary>
    Pmap Kernel { get; }

    /// <summary>
    /// __HAVE_PMAP_PURGE: the pmap can empty an exiting address space's TLB entries with one operation before the
    /// teardown (arm64: one ASID flush), so uvm_purge calls pmap_purge first. amd64 has none.
    /// </summary>
    bool HavePmapPurge { get; }

    /// <summary>The highest user address + 1 (VM_MAXUSER_ADDRESS).</summary>
    ulong VmMaxUserAddress { get; }

    /// <summary>The ASIDs (arm64) or per-process PCIDs (none on amd64: they are per role) allocated now.</summary>
    int TagsInUse { get; }

    Pmap? PmapCreate(Cpu cpu);
    void PmapReference(Pmap pmap);
    void PmapDestroy(Cpu cpu, Pmap pmap);
    bool PmapEnter(Cpu cpu, Pmap pmap, ulong va, ulong pa, VmProt prot);
    int PmapRemove(Cpu cpu, Pmap pmap, ulong sva, ulong eva, PmapFlush flush = PmapFlush.WhenActive);
    void PmapProtect(Cpu cpu, Pmap pmap, ulong sva, ulong eva, VmProt prot);
    bool PmapExtract(Cpu cpu, Pmap pmap, ulong va, out ulong pa);
    void PmapActivate(Cpu cpu, Pmap pmap, bool curproc = true);
    void PmapDeactivate(Cpu cpu, Pmap pmap);

    /// <summary>pmap_purge; only where <see cref="HavePmapPurge"/>.</summary>
    void PmapPurge(Cpu cpu, Pmap pmap);

    /// <summary>The user pmap loaded on <paramref name="cpu"/> now (arm64 ci_curpm, amd64 ci_proc_pmap), or null.</summary>
    Pmap? CurrentPmap(Cpu cpu);

    /// <summary>
    /// cpu_switchto(idle): the CPU runs its idle thread, whose address space is the kernel's. amd64 loads the kernel
    /// pmap's CR3 and stops being the user pmap's ci_proc_pmap (pmap_deactivate leaves CR3 alone, and the tables it
    /// names may be freed while this CPU idles). arm64 leaves TTBR0 as it is, as MiniBSD always has: after an exit
    /// pmap_deactivate or pmap_purge already loaded the empty table, and after a sleep the ASID-tagged entries are
    /// harmless to an idle CPU.
    /// </summary>
    void PmapSwitchIdle(Cpu cpu);

    /// <summary>cpu_switchto's part: load <paramref name="pm"/> (the kernel pmap for a kernel thread) on this CPU.</summary>
    void PmapSwitch(Cpu cpu, Pmap pmap);
}

/// <summary>A pmap whose ASIDs can go in kernel/user pairs (OpenBSD arm64's), chosen at boot before any process runs.</summary>
public interface IAsidPairs
{
    bool AsidPair { get; set; }
}
