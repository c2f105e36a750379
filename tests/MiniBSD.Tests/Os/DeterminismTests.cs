using MiniBSD.Hal;

namespace MiniBSD.Tests.Os;

/// <summary>The same seed gives the same run, event for event; different seeds interleave differently with the same result.</summary>
public abstract class DeterminismTests(Arch arch)
{
    private const string Workload = """
        exitstorm 12 4 &
        forkbench 6 8 &
        for i in 1 2 3; do echo "job $i: $(seq 1 $((i * 100)) | wc -l)" & done
        wait
        cowtest 4
        echo done

        """;

    private (string Console, ulong Hash, long Events, long Cycles, string Pids) Run(int seed)
    {
        var s = new MiniSystem(Workload, cpus: 4, seed: seed, arch: arch);
        string console = s.Run();
        s.AssertCleanHalt();
        return (console, s.Kernel.Sched.TraceHash, s.Kernel.Sched.Events, s.Machine.Cpus.Sum(c => c.Clock), string.Join(',', s.Kernel.Dmesg.Messages));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(12345)]
    public void The_same_seed_gives_the_same_trace_console_and_time(int seed)
    {
        var a = Run(seed);
        var b = Run(seed);
        Assert.Equal(a.Hash, b.Hash);
        Assert.Equal(a.Events, b.Events);
        Assert.Equal(a.Cycles, b.Cycles);
        Assert.Equal(a.Console, b.Console);
        Assert.Equal(a.Pids, b.Pids);
    }

    [Fact]
    public void Different_seeds_interleave_differently_but_print_the_same()
    {
        var runs = Enumerable.Range(1, 6).Select(Run).ToList();
        Assert.True(runs.Select(r => r.Hash).Distinct().Count() >= 5, "seeds should give different interleavings");
        var lines = runs.Select(r => string.Join('\n', r.Console.Split('\n').Order())).Distinct().ToList();
        Assert.Single(lines);   // the same lines (background jobs may finish in another order)
        Assert.Contains("job 3: 300", runs[0].Console);
        Assert.EndsWith("cowtest: ok\ndone\n", runs[0].Console);
    }
}

public sealed class DeterminismTestsArm64() : DeterminismTests(Arch.Arm64);

public sealed class DeterminismTestsAmd64() : DeterminismTests(Arch.Amd64);
