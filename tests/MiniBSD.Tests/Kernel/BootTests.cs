using MiniBSD.Hal;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Registers;
using MiniBSD.Kernel.Arch.Arm64;

namespace MiniBSD.Tests.Kernel;

public sealed class BootTests
{
    [Theory]
    [InlineData(1, 16)]
    [InlineData(4, 16)]
    [InlineData(8, 8)]
    public void Locore_enables_the_mmu_on_every_cpu_and_the_self_check_passes(int cpus, int asidBits)
    {
        var m = new Machine(new MachineConfig { Cpus = cpus, AsidBits = asidBits, CheckCoherence = true });
        var boot = Locore.Start(m);
        foreach (var cpu in m.Cpus)
        {
            Assert.True(cpu.Sctlr.M);
            Assert.Equal(boot.KernelL0, cpu.Ttbr1.BaseAddress);
            Assert.Equal(Ttbr.Create(boot.EmptyL0, 0), cpu.Ttbr0);
            Assert.Equal(asidBits == 16, cpu.Tcr.As);
        }
        Assert.Equal(255, boot.DirectMapBlocks);   // 512 MiB minus the kernel image's 2 MiB
        Assert.Equal(512, boot.DirectMapPages);
        var pages = new MiniBSD.Kernel.Uvm.UvmPage(m, boot.FirstFree);
        var check = new MmuSelfCheck(m, boot, pages, new PmapSystem(m, boot, pages));
        var steps = check.Run();
        Assert.All(steps, s => Assert.True(s.Passed, $"{s.Name}: {s.Detail}"));
        Assert.Equal(9, steps.Count);
        Assert.Empty(m.Checker.Violations);
        Assert.Equal(pages.TotalPages, pages.Count(MiniBSD.Kernel.Uvm.PageUse.Free));
    }

    [Fact]
    public void The_direct_map_translates_all_of_ram_including_a_tail_that_is_not_2_mib_aligned()
    {
        var m = new Machine(new MachineConfig { Cpus = 1, MemoryBytes = 5 * MachineConfig.MiB + 0x3000, CheckCoherence = true });
        var boot = Locore.Start(m);
        var cpu = m.Cpus[0];
        ulong last = m.Memory.End - 8;
        Assert.Equal(Par.Success(last & ~0xFFFUL, 0xFF, 0b11), cpu.At(AtOp.S1E1R, Locore.DirectMap(m, last)));
        Assert.True(cpu.TryWrite64(Locore.DirectMap(m, last), 99));
        Assert.Equal(99UL, m.Memory.Read64(last));
        Assert.Equal(Par.Fault(FaultStatus.TranslationL3), cpu.At(AtOp.S1E1R, Locore.DirectMap(m, m.Memory.End)));
        Assert.Equal(1, boot.DirectMapBlocks);
        Assert.Empty(m.Checker.Violations);
    }
}
