using MiniBSD.Cli.Boot;
using MiniBSD.Cli.Fuzz;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Tests.Cli;

/// <summary>`minibsd fuzz`: a short run of the fuzzer and of fault injection (the long runs are in docs/BENCHMARKS.md).</summary>
public sealed class FuzzTests
{
    private static FuzzCommand.Options Options(bool inject = false, ExitPath path = ExitPath.Purge, MiniBSD.Hal.Arch arch = MiniBSD.Hal.Arch.Arm64) =>
        new(Enumerable.Range(1, 8).ToList(), 1500, 1, 4, 6, inject, new SystemOptions(MemoryBytes: 64 * MiniBSD.Hal.MachineConfig.MiB, ExitPath: path, Arch: arch));

    [Theory]
    [InlineData(MiniBSD.Hal.Arch.Arm64)]
    [InlineData(MiniBSD.Hal.Arch.Amd64)]
    public void Seeds_of_random_and_adversarial_calls_leave_the_kernel_clean(MiniBSD.Hal.Arch arch)
    {
        var o = Options(arch: arch);
        foreach (int seed in o.Seeds)
        {
            var r = FuzzCommand.RunSeed(o, seed, FuzzGenerator.Generate(seed, o.Calls, o.Procs));
            Assert.True(r.Failure is null, $"seed {seed}: {r.Failure}");
            Assert.True(r.Syscalls > 300, $"seed {seed}: {r.Syscalls} calls");
            Assert.True(r.Results[(int)MiniBSD.Kernel.Abi.Errno.EFAULT] > 0, $"seed {seed}: no EFAULT");   // bad pointers reach copyin/copyout
        }
    }

    [Fact]
    public void Fault_injection_at_each_site_leaves_the_kernel_clean()
    {
        var o = Options(inject: true) with { Seeds = Enumerable.Range(0, FailSiteNames.All.Count).ToList() };
        foreach (int seed in o.Seeds)
        {
            var r = FuzzCommand.RunSeed(o, seed, FuzzGenerator.Generate(seed, o.Calls, o.Procs));
            Assert.True(r.Failure is null, $"seed {seed} ({r.FaultSite}): {r.Failure}");
            Assert.Equal(FailSiteNames.All[seed].Name(), r.FaultSite);
        }
    }

    [Fact]
    public void A_seed_is_replayable_and_programs_differ_by_seed()
    {
        Assert.Equal(FuzzGenerator.Generate(5, 500, 4), FuzzGenerator.Generate(5, 500, 4));
        Assert.NotEqual(FuzzGenerator.Generate(5, 500, 4), FuzzGenerator.Generate(6, 500, 4));
        var o = Options();
        var program = FuzzGenerator.Generate(3, 800, 4);
        var a = FuzzCommand.RunSeed(o, 3, program);
        var b = FuzzCommand.RunSeed(o, 3, program);
        Assert.Equal((a.Syscalls, a.SimulatedMs), (b.Syscalls, b.SimulatedMs));
        Assert.Equal(a.Results, b.Results);
    }

    [Fact]
    public void The_broken_exit_path_fails_every_seed_and_the_command_names_it_with_a_reproduce_line()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = FuzzCommand.Run(Options(path: ExitPath.PurgeBroken) with { Seeds = [1, 2] , Calls = 200 }, null, stdout, stderr);
        Assert.Equal(1, code);
        string text = stdout.ToString();
        Assert.Contains("seed 1 FAILED: ", text);
        Assert.Contains("FreedFrameStillMapped", text);
        Assert.Contains("reproduce: minibsd fuzz --seeds 1 --calls 200 --cpus 1-4 --procs 6 --exit-path purge-broken --memory 64M", text);
        Assert.Contains("fuzz: 2 seeds, ", text);
        Assert.Contains(", 2 failed", text);
    }

    [Fact]
    public void The_shrinker_keeps_only_the_lines_a_failure_needs()
    {
        var program = Enumerable.Range(0, 100).Select(i => $"line {i}").ToList();
        var shrunk = FuzzShrinker.Shrink(program, p => p.Contains("line 17") && p.Contains("line 80"));
        Assert.Equal(["line 17", "line 80"], shrunk);
    }

    [Fact]
    public void Seed_588s_shrunk_program_a_sigkill_that_comes_on_the_way_into_a_pcatch_sleep_still_ends_it()
    {
        // Found by `minibsd fuzz --seeds 1-1000 --calls 10000 --cpus 1-8`: child 29 was killed between its system call's
        // entry and its nanosleep, slept for ever with SIGKILL pending, and the run never halted (sleep_signal_check).
        var s = new MiniBSD.Tests.Os.MiniSystem(FuzzCommand.Rc, cpus: 5, seed: 588,
            files: new Dictionary<string, string> { ["/etc/fuzz.calls"] = "0 fork 29\n29 exec /nonexistent\n29 91 B0 B0\n0 19 -1 B0\n" });
        Assert.Equal("fuzz: 1 calls made by the driver, 0 failed; children reaped\n", s.Run());
        s.AssertCleanHalt();
    }
}
