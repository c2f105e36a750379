using MiniBSD.Hal;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Kernel.Arch.Amd64;

/// <summary>The pmap interface the machine-independent kernel calls, over amd64's pmap functions.</summary>
public sealed partial class PmapSystem : IPmap
{
    /// <summary>No __HAVE_PMAP_PURGE on amd64: local flushes are cheap and the 32-page rule already flushes a big entry whole.</summary>
    public bool HavePmapPurge => false;

    public ulong VmMaxUserAddress => VmParam.VmMaxUserAddress;

    /// <summary>PCIDs are per role, not per process: nothing to leak.</summary>
    public int TagsInUse => 0;

    Pmap IPmap.Kernel => Kernel;
    Pmap? IPmap.PmapCreate(Cpu cpu) => PmapCreate(cpu);
    Pmap? IPmap.CurrentPmap(Cpu cpu) => CurrentPmap(cpu);

    /// <summary>cpu_switchto(idle): the idle thread's pcb_cr3 is the kernel pmap's.</summary>
    void IPmap.PmapSwitchIdle(Cpu cpu) => PmapSwitch(cpu, Kernel);

    /// <summary>amd64 has no pmap_purge; uvm_purge asks <see cref="HavePmapPurge"/> first.</summary>
    public void PmapPurge(Cpu cpu, Pmap pmap) =>
        throw Kern.Systm.Panic("pmap_purge: amd64 has no __HAVE_PMAP_PURGE (uvm_purge must not call it)");
}
