using MiniBSD.Hal;
using MiniBSD.Kernel.Kern;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Kernel.Arch.Amd64;

/// <summary>amd64's machine-dependent layer for main(): locore, pmap_init with the IPI handlers, SYSCALL and traps.</summary>
internal sealed class Machdep(Machine machine) : IMachdep
{
    public BootInfo Boot { get; } = Locore.Start(machine);
    public PmapSystem? Pmaps { get; private set; }

    public Hal.Arch Arch => Hal.Arch.Amd64;
    public ulong FirstFree => Boot.FirstFree;
    public IUserAccess UserAccess => Amd64.UserAccess.Access;

    public IPmap PmapInit(UvmPage pages) => Pmaps = new PmapSystem(machine, Boot, pages);

    public UserMode UserMode(Uvm.Uvm uvm, Sysent sysent, KernExit exit, long dispatchCycles) => new Syscall(machine, uvm, sysent, exit, dispatchCycles);

    public IEnumerable<string> BootMessages()
    {
        yield return $"locore: long mode, paging on; kernel PML4 at 0x{Boot.KernelPml4:X}, direct map of RAM in {Boot.DirectMapLarge} 2 MiB pages";
        yield return $"pmap: MAXPHYADDR {machine.Config.PaBits}, PCIDs (kernel {Pcid.Kern}, user {Pcid.Proc}), INVPCID, SMEP, SMAP; TLB shootdowns by IPI";
    }

    public IReadOnlyList<SelfCheckStep> MmuSelfCheck(UvmPage pages) => new MmuSelfCheck(machine, Boot, pages, Pmaps!).Run();
}
