using MiniBSD.Cli.Boot;
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

    [Fact]
    public void Boot_command_prints_what_it_did_and_exits_0()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = BootCommand.Run(new BootOptions(2, 64 * MachineConfig.MiB, 48, 16, Trace: true), stdout, stderr);
        string text = stdout.ToString();
        Assert.Equal(0, code);
        Assert.Equal("", stderr.ToString());
        Assert.Contains("MMU on", text);
        Assert.Contains("MiniBSD: console on a PL011 UART at 0x9000000 (mapped at 0xFFFFFF0000000000)\n", text);
        Assert.DoesNotContain("FAILED", text);
        Assert.Contains("d5088320  tlbi vae1is, x0", text);
        Assert.Contains("d5088340  tlbi aside1is, x0", text);
        Assert.Contains("pages: free ", text);
        Assert.Contains("TLB coherence checker: 0 violation(s)", text);
    }

    [Fact]
    public void A_cost_file_changes_the_simulated_time_and_a_bad_one_is_refused()
    {
        string dir = Directory.CreateTempSubdirectory("minibsd-boot").FullName;
        string file = Path.Combine(dir, "costs.json");
        File.WriteAllText(file, """{"WalkRead": 1000}""");
        var slow = new StringWriter();
        Assert.Equal(0, BootCommand.Run(new BootOptions(1, 64 * MachineConfig.MiB, 48, 16, false, file), slow, TextWriter.Null));
        var normal = new StringWriter();
        Assert.Equal(0, BootCommand.Run(new BootOptions(1, 64 * MachineConfig.MiB, 48, 16, false), normal, TextWriter.Null));
        static long Cycles(string text) => long.Parse(text.Split("cpu0: ")[^1].Split(' ')[0]);
        Assert.True(Cycles(slow.ToString()) > Cycles(normal.ToString()) + 5000);
        File.WriteAllText(file, """{"WalkReed": 1}""");
        var err = new StringWriter();
        Assert.Equal(2, BootCommand.Run(new BootOptions(1, 64 * MachineConfig.MiB, 48, 16, false, file), TextWriter.Null, err));
        Assert.Contains("unknown cost 'WalkReed'", err.ToString());
        Directory.Delete(dir, true);
    }

    [Theory]
    [InlineData("512M", 512UL << 20)]
    [InlineData("4G", 4UL << 30)]
    [InlineData("4GiB", 4UL << 30)]
    [InlineData("65536K", 64UL << 20)]
    [InlineData("1048576", 1UL << 20)]
    public void Memory_sizes_parse(string text, ulong bytes)
    {
        Assert.True(BootCommand.TryParseSize(text, out ulong v));
        Assert.Equal(bytes, v);
        Assert.False(BootCommand.TryParseSize("lots", out _));
    }

    [Fact]
    public void Bad_boot_options_are_refused_with_exit_2()
    {
        var err = new StringWriter();
        Assert.Equal(2, BootCommand.Run(new BootOptions(0, 64 * MachineConfig.MiB, 48, 16, false), TextWriter.Null, err));
        Assert.Contains("--cpus 0: a machine has 1 to 64 CPUs", err.ToString());
        Assert.Equal(2, BootCommand.Run(new BootOptions(1, 64 * MachineConfig.MiB, 47, 16, false), TextWriter.Null, err));
        Assert.Contains("--pa-bits 47", err.ToString());
        Assert.Equal(2, BootCommand.Run(new BootOptions(1, 8 * MachineConfig.GiB, 32, 16, false), TextWriter.Null, err));
        Assert.Contains("does not fit a 32-bit physical address space", err.ToString());
        Assert.Equal(2, MiniBSD.Cli.Program.Build(TextWriter.Null, err).Parse(["boot", "--memory", "lots"]).Invoke());
    }
}
