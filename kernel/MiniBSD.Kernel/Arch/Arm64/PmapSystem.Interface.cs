using MiniBSD.Hal;
using MiniBSD.Kernel.Kern;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Kernel.Arch.Arm64;

/// <summary>The pmap interface the machine-independent kernel calls, over arm64's pmap functions.</summary>
public sealed partial class PmapSystem : IPmap, IFailable
{
    /// <summary>__HAVE_PMAP_PURGE: arm64 empties an exiting address space's TLB entries with one TLBI ASIDE1IS.</summary>
    public bool HavePmapPurge => true;

    public ulong VmMaxUserAddress => VmParam.VmMaxUserAddress;
    public int TagsInUse => Asids.InUse;

    /// <summary>Fault injection reaches the ASID allocator (<see cref="FailSite.Asid"/>).</summary>
    public FailPoints FailPoints
    {
        get => Asids.FailPoints;
        set => Asids.FailPoints = value;
    }

    /// <summary>The arm64 pmap behind the MI handle.</summary>
    private static Arm64Pmap Md(Pmap pm) => (Arm64Pmap)pm;

    Pmap IPmap.Kernel => Kernel;
    Pmap? IPmap.PmapCreate(Cpu cpu) => PmapCreate(cpu);
    Pmap? IPmap.CurrentPmap(Cpu cpu) => CurrentPmap(cpu);

    /// <summary>cpu_switchto's pmap_setttb.</summary>
    void IPmap.PmapSwitch(Cpu cpu, Pmap pmap) => PmapSetTtb(cpu, pmap);

    /// <summary>Nothing: TTBR0 stays (the empty table after an exit; a sleeping thread's ASID-tagged tables otherwise).</summary>
    void IPmap.PmapSwitchIdle(Cpu cpu) { }
}
