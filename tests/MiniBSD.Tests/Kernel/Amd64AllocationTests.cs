using MiniBSD.Hal;
using MiniBSD.Hal.X86;
using MiniBSD.Kernel.Arch.Amd64;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Tests.Kernel;

/// <summary>amd64's hot paths allocate nothing on the host: the walk and TLB fill, system instructions (decoded once), the pmap.</summary>
public sealed class Amd64AllocationTests
{
    [Fact]
    public void Translation_system_instructions_and_the_pmap_allocate_nothing_in_steady_state()
    {
        var m = new Machine(new MachineConfig { Arch = Arch.Amd64, Cpus = 2, MemoryBytes = 64 * MachineConfig.MiB });
        var boot = Locore.Start(m);
        var pages = new UvmPage(m, boot.FirstFree);
        var pmaps = new PmapSystem(m, boot, pages);
        var cpu = m.Cpus[0];
        var pm = pmaps.PmapCreate(cpu)!;
        pmaps.PmapActivate(cpu, pm);
        pmaps.PmapActivate(m.Cpus[1], pm);                                 // a second CPU: shootdowns by IPI
        Assert.True(pages.TryAlloc(cpu, PageUse.Anon, zero: true, out ulong frame));
        const ulong va = 0x40_0000;
        Assert.Equal(0, AllocationMeter.SteadyStateBytes(() =>
        {
            Assert.True(pmaps.PmapEnter(cpu, pm, va, frame, VmProt.ReadWrite));
            cpu.Execute(X86Code.Sysretq, new(Rcx: 0x1000, R11: RflagsBits.IF));
            Assert.True(cpu.TryWrite64(va + 8, 1));                          // a miss: the walk, A and D, the TLB fill
            Assert.True(cpu.TryRead64(va + 16, out _));
            cpu.Execute(X86Code.Syscall);
            pmaps.PmapProtect(cpu, pm, va, va + 0x1000, VmProt.Read);      // shootrange: an IPI, INVPCIDs on both CPUs
            pmaps.PmapRemove(cpu, pm, va, va + 0x1000);                    // frees the page tables after the wait
        }));
    }
}
