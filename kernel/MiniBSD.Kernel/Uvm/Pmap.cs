namespace MiniBSD.Kernel.Uvm;

/// <summary>
/// struct pmap as the machine-independent code sees it (uvm/uvm_pmap.h): one address space's translation tables,
/// owned by the machine-dependent pmap (Arm64Pmap, Amd64Pmap). These are the fields every pmap has and the MI code,
/// the leak checks and the tests read; the tables and the ASID or PCID are the MD pmap's.
/// </summary>
public abstract class Pmap
{
    protected Pmap(ulong root, bool isKernel)
    {
        Root = root;
        IsKernel = isKernel;
        Refs = 1;
    }

    /// <summary>The top table of this address space (arm64: the L0 table; amd64: the PML4).</summary>
    public ulong Root { get; }

    public bool IsKernel { get; }

    /// <summary>pm_active: how many threads have this pmap activated.</summary>
    public int Active { get; internal set; }

    /// <summary>pm_refs (amd64: pm_obj[0].uo_refs).</summary>
    public int Refs { get; internal set; }

    /// <summary>pm_stats.resident_count: valid leaf entries.</summary>
    public long ResidentCount { get; internal set; }

    /// <summary>Translation table pages this pmap owns, the top one included.</summary>
    public int TablePages { get; internal set; } = 1;

    /// <summary>pm_active has dropped back to 0 (or pmap_purge ran): the pmap never runs again.</summary>
    public bool Retired { get; internal set; }

    public bool Destroyed { get; internal set; }

    /// <summary>
    /// pmap_enter's preconditions, the same in every pmap: page-aligned addresses, a protection to map, and a VA in the
    /// pmap's half (the kernel's from <paramref name="kernelMin"/>, a user pmap's below <paramref name="userMax"/>).
    /// </summary>
    internal void AssertEnter(ulong va, ulong pa, VmProt prot, ulong kernelMin, ulong userMax)
    {
        Kern.Systm.Kassert((va & 0xFFF) == 0 && (pa & 0xFFF) == 0, "pmap_enter: VA 0x{0:X} or PA 0x{1:X} not page aligned", va, pa);
        Kern.Systm.Kassert(prot != VmProt.None, "pmap_enter: PROT_NONE mappings are not entered");
        Kern.Systm.Kassert(IsKernel ? va >= kernelMin : va < userMax, "pmap_enter: VA 0x{0:X} outside the pmap's range", va);
    }

    /// <summary>
    /// pmap_destroy's first step, the same in every pmap: drop a reference; true at the last one, when the pmap must
    /// already be inactive and empty (uvm removed its mappings) and its tables can go.
    /// </summary>
    internal bool ReleaseLastReference()
    {
        Kern.Systm.Kassert(!IsKernel && !Destroyed, "pmap_destroy: not a live user pmap ({0})", this);
        if (Refs > 1)
        {
            Refs--;
            return false;
        }
        Kern.Systm.Kassert(Active == 0, "pmap_destroy: pmap still active ({0})", this);
        Kern.Systm.Kassert(ResidentCount == 0, "pmap_destroy: {0} pages still mapped ({1})", ResidentCount, this);
        Refs = 0;
        return true;
    }
}
