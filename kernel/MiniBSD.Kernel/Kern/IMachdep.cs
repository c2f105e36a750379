using MiniBSD.Hal;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Kernel.Kern;

/// <summary>One step of the boot-time MMU self-check: what was tried and what the machine answered.</summary>
public sealed record SelfCheckStep(string Name, bool Passed, string Detail);

/// <summary>
/// The machine-dependent layer as main() and the rest of the machine-independent kernel call it (OpenBSD: locore and
/// pmap_bootstrap, pmap_init, cpu_switchto's address-space switch, syscall.c and trap.c, copy.S). Each architecture
/// under Arch/ has one; Conf/ picks it for a machine. Built by running locore: the MMU is on when it exists.
/// </summary>
internal interface IMachdep
{
    Hal.Arch Arch { get; }

    /// <summary>The first physical page locore did not take: where the page allocator's memory begins.</summary>
    ulong FirstFree { get; }

    /// <summary>pmap_init: the pmap layer over the page allocator.</summary>
    IPmap PmapInit(UvmPage pages);

    /// <summary>copy.S and the fault decode: how the kernel reaches user memory.</summary>
    IUserAccess UserAccess { get; }

    /// <summary>The system-call and trap paths (syscall.c, trap.c) over the kernel's pieces.</summary>
    UserMode UserMode(Uvm.Uvm uvm, Sysent sysent, KernExit exit, long dispatchCycles);

    /// <summary>What locore and pmap_init print (after <see cref="PmapInit"/>).</summary>
    IEnumerable<string> BootMessages();

    /// <summary>The boot-time MMU self-check; every page it takes goes back to the allocator.</summary>
    IReadOnlyList<SelfCheckStep> MmuSelfCheck(UvmPage pages);
}
