using MiniBSD.Hal;
using MiniBSD.Kernel.Kern;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Kernel.Arch.Arm64;

/// <summary>arm64's machine-dependent layer for main(): locore, pmap_init, the system-call and trap paths.</summary>
internal sealed class Machdep(Machine machine) : IMachdep
{
    public BootInfo Boot { get; } = Locore.Start(machine);
    public PmapSystem? Pmaps { get; private set; }

    public Hal.Arch Arch => Hal.Arch.Arm64;
    public ulong FirstFree => Boot.FirstFree;
    public IUserAccess UserAccess => Arm64.UserAccess.Access;

    public IPmap PmapInit(UvmPage pages) => Pmaps = new PmapSystem(machine, Boot, pages);

    public UserMode UserMode(Uvm.Uvm uvm, Sysent sysent, KernExit exit, long dispatchCycles) => new Syscall(machine, uvm, sysent, exit, dispatchCycles);

    public IEnumerable<string> BootMessages()
    {
        yield return $"locore: MMU on; kernel tables at 0x{Boot.KernelL0:X}, direct map of RAM in {Boot.DirectMapBlocks} 2 MiB blocks";
        yield return $"pmap: {machine.Cpu(0).IdAa64Mmfr0.PhysicalAddressBits}-bit PAs, {Pmaps!.Asids.Count - 1} user ASIDs of {machine.Cpu(0).IdAa64Mmfr0.AsidBits} bits";
    }

    public IReadOnlyList<SelfCheckStep> MmuSelfCheck(UvmPage pages) => new MmuSelfCheck(machine, Boot, pages, Pmaps!).Run();
}
