using MiniBSD.Hal;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Uvm;

/// <summary>uvm_glue.c: the two halves of an address space's end, as exit1 and the reaper call them.</summary>
public sealed partial class Uvm
{
    /// <summary>
    /// uvm_purge (OpenBSD 2025, uvm_glue.c 1.94): run by the exiting process's last thread on its own CPU, without the
    /// kernel lock: where the pmap has __HAVE_PMAP_PURGE (arm64), pmap_purge (off this CPU, one ASID invalidation,
    /// pm_active = 0), then uvmspace_purge, whose page-by-page pmap_remove now skips every TLB invalidation. Without it
    /// (amd64), uvmspace_purge runs with the pmap still loaded here: each pmap_remove flushes this CPU and shoots only
    /// the other CPUs running the pmap (none for a single-threaded process).
    /// </summary>
    /// <param name="pmapPurge">
    /// false runs uvmspace_purge with the pmap still loaded and active, as the 2025 thread's minimal diff did
    /// (exit path purge-unordered: every removed page is invalidated on its own).
    /// </param>
    /// <param name="flush">
    /// <see cref="PmapFlush.Never"/> with <paramref name="pmapPurge"/> false is the mistake the thread warned
    /// of (exit path purge-broken): no per-page invalidation while this CPU still has the pmap loaded.
    /// </param>
    public void UvmPurge(Cpu cpu, Vmspace vm, bool pmapPurge = true, PmapFlush flush = PmapFlush.WhenActive)
    {
        Kassert(vm.Ref == 1, "uvm_purge: vmspace shared ({0} references)", vm.Ref);   // only proc0 shares a vmspace
        if (pmapPurge && Pmaps.HavePmapPurge) Pmaps.PmapPurge(cpu, vm.Pmap);
        UvmspacePurge(cpu, vm, flush);
    }

    /// <summary>
    /// The 2025 thread's first try: pmap_remove(pmap, 0, VM_MAXUSER_ADDRESS) with the pmap still loaded (every page
    /// the process had is invalidated on its own), then uvmspace_purge, whose pmap_removes find nothing left.
    /// </summary>
    public void UvmPurgeRemoveAll(Cpu cpu, Vmspace vm)
    {
        Kassert(vm.Ref == 1, "uvm_purge: vmspace shared ({0} references)", vm.Ref);
        Pmaps.PmapRemove(cpu, vm.Pmap, 0, Pmaps.VmMaxUserAddress);
        UvmspacePurge(cpu, vm);
    }

    /// <summary>uvm_exit (the reaper): drop the process's reference; the last one frees the pmap (uvmspace_free).</summary>
    public void UvmExit(Cpu cpu, Vmspace vm) => UvmspaceFree(cpu, vm);
}
