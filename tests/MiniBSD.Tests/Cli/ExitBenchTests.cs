using System.Text.Json;
using MiniBSD.Cli;
using MiniBSD.Cli.Bench;
using MiniBSD.Cli.Boot;

namespace MiniBSD.Tests.Cli;

/// <summary>`minibsd bench exit`, `--exit-path` and `--json`: the matrix, its three files, and bad input named.</summary>
public sealed class ExitBenchTests
{
    private static (int Code, string Stdout, string Stderr) Minibsd(params string[] args) => Captured.Minibsd(args);

    [Fact]
    public void The_matrix_writes_a_table_the_json_of_every_run_and_a_plot()
    {
        string dir = Directory.CreateTempSubdirectory("minibsd-bench").FullName;
        try
        {
            var (code, stdout, stderr) = Minibsd("bench", "exit", "--workload", "exitstorm", "--cpus", "2,1", "--exit-path", "purge,reaper,purge-broken",
                "--seeds", "0", "--memory", "128M", "--out", dir);
            Assert.True(code == 0, stderr);
            Assert.Contains("| CPUs | purge | reaper | purge-broken | purge vs reaper |", stdout);
            Assert.Contains("[6/6] exitstorm", stderr);
            Assert.Equal(stdout, File.ReadAllText(Path.Combine(dir, "exit-exitstorm.md")));
            var runs = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "exit-exitstorm.json"))).RootElement;
            Assert.Equal(6, runs.GetArrayLength());
            // Matrix order whatever finished first: CPUs ascending, then the paths as given.
            Assert.Equal(["1 purge", "1 reaper", "1 purge-broken", "2 purge", "2 reaper", "2 purge-broken"],
                runs.EnumerateArray().Select(r => $"{r.GetProperty("cpus").GetInt32()} {r.GetProperty("exitPath").GetString()}"));
            foreach (var r in runs.EnumerateArray())
            {
                bool broken = r.GetProperty("exitPath").GetString() == "purge-broken";
                Assert.Equal(broken, r.GetProperty("coherenceViolations").GetInt32() > 0);   // the checker is on by default
                Assert.Equal(0, r.GetProperty("leakedFrames").GetInt64());
                Assert.True(r.GetProperty("exit").GetProperty("exits").GetInt64() > 0);
            }
            string svg = File.ReadAllText(Path.Combine(dir, "exit-exitstorm.svg"));
            Assert.StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"", svg);
            Assert.Equal(6, svg.Split("<polyline").Length - 1);   // two panels, a line a path
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void The_architecture_is_a_dimension_of_the_matrix_with_the_x86_invalidations_beside_the_tlbis()
    {
        string dir = Directory.CreateTempSubdirectory("minibsd-bench-arch").FullName;
        try
        {
            var (code, stdout, stderr) = Minibsd("bench", "exit", "--workload", "exitstorm", "--arch", "arm64,amd64", "--cpus", "2",
                "--exit-path", "purge,purge-unordered,purge-broken", "--memory", "128M", "--out", dir);
            Assert.True(code == 0, stderr);
            Assert.Contains("### exitstorm on arm64: simulated time to the halt", stdout);
            Assert.Contains("### exitstorm on amd64: simulated time to the halt", stdout);
            Assert.Contains("On amd64 purge-unordered is the same path as purge", stdout);
            var runs = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "exit-exitstorm.json"))).RootElement.EnumerateArray().ToList();
            Assert.Equal(["arm64 purge", "arm64 purge-unordered", "arm64 purge-broken", "amd64 purge", "amd64 purge-unordered", "amd64 purge-broken"],
                runs.Select(r => $"{r.GetProperty("arch").GetString()} {r.GetProperty("exitPath").GetString()}"));
            var amd64 = runs.Where(r => r.GetProperty("arch").GetString() == "amd64").ToList();
            Assert.All(amd64, r => Assert.False(r.GetProperty("tlbi").EnumerateObject().Any()));            // no TLBI on x86
            Assert.All(amd64, r => Assert.True(r.GetProperty("x86Invalidations").GetProperty("invpcid0").GetInt64() > 0));
            Assert.Equal(amd64[0].GetProperty("simulatedCycles").GetInt64(), amd64[1].GetProperty("simulatedCycles").GetInt64());   // the same path
            Assert.True(amd64[2].GetProperty("coherenceViolations").GetInt32() > 0);                          // purge-broken caught on amd64 too
            string svg = File.ReadAllText(Path.Combine(dir, "exit-exitstorm.svg"));
            Assert.Equal(12, svg.Split("<polyline").Length - 1);   // two panels, a line a path and architecture
            Assert.Contains("amd64 purge-broken", svg);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void A_cell_over_several_seeds_gives_the_mean_and_a_95_percent_interval()
    {
        Assert.Equal("2.00", ExitTables.Interval([2.0], "F2"));
        Assert.Equal("2.00 ± 2.48", ExitTables.Interval([1.0, 2.0, 3.0], "F2"));   // t(0.975, 2) = 4.303, sd 1, n 3
        Assert.Equal("5.000 ± 0.000", ExitTables.Interval([5.0, 5.0, 5.0, 5.0], "F3"));
    }

    [Theory]
    [InlineData("x86", "--arch x86: not arm64 or amd64")]
    [InlineData("arm64,,amd64", "an empty item in the list")]
    public void A_bad_arch_list_is_one_line(string archs, string message)
    {
        var (code, stdout, stderr) = Minibsd("bench", "exit", "--arch", archs);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public void Each_cell_is_deterministic_whatever_runs_beside_it()
    {
        var o = new MiniBSD.Cli.Boot.SystemOptions(MemoryBytes: 128 * MiniBSD.Hal.MachineConfig.MiB, Check: false);
        var alone = ExitBench.Parse("exitstorm", "4", "reaper", "3", out _)!;
        var crowd = ExitBench.Parse("exitstorm", "1,2,4", "purge,reaper", "3", out _)!;
        string once = MiniBSD.Cli.Boot.RunReport.ToJson(ExitBench.RunAll(o, alone, null));
        var many = ExitBench.RunAll(o, crowd, null);
        Assert.Equal(once, MiniBSD.Cli.Boot.RunReport.ToJson([many.Single(r => r.Cpus == 4 && r.ExitPath == "reaper")]));
    }

    [Theory]
    [InlineData("--workload", "kernel", "--workload kernel: not one of build, configure, exitstorm")]
    [InlineData("--workload", "missing.sh", "--workload cannot read missing.sh: no such file")]
    [InlineData("--cpus", "2,0", "--cpus 0: must be a number from 1 to 64")]
    [InlineData("--exit-path", "purge,lazy", "--exit-path lazy: not one of purge, reaper, purge-unordered, purge-broken")]
    [InlineData("--seeds", "x", "--seeds x: must be a number from 0")]
    [InlineData("--seeds", "5-2", "--seeds 5-2: must be a number from 0 to 2147483647, or a range such as 0-4")]
    [InlineData("--ablate", "free-cost,lazy", "--ablate lazy: not one of free-cost, percpu-cache, tlbi-model, asid-pair")]
    [InlineData("--sweep", "PAGES", "--sweep PAGES: give NAME=V1,V2,...")]
    [InlineData("--sweep", "1X=2", "--sweep 1X=2: give NAME=V1,V2,...")]
    [InlineData("--set", "PAGES=1,2", "--set PAGES=1,2: give NAME=VALUE")]
    [InlineData("--set", "PAGES=$(reboot)", "--set PAGES=$(reboot): give NAME=VALUE")]
    public void Bad_matrix_options_are_named_and_exit_2(string option, string value, string message)
    {
        var (code, stdout, stderr) = Minibsd("bench", "exit", option, value, "--out", Path.GetTempPath());
        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.Contains($"minibsd bench exit: {message}", stderr);
    }

    [Fact]
    public void Seeds_and_cpus_take_ranges()
    {
        var m = ExitBench.Parse("exitstorm", "8,1-2", "purge", "1-3,7", out string? problem)!;
        Assert.Null(problem);
        Assert.Equal([1, 2, 8], m.Cpus);
        Assert.Equal([1, 2, 3, 7], m.Seeds);
    }

    [Fact]
    public void An_unknown_mechanism_for_boot_is_named()
    {
        var (code, _, stderr) = Minibsd("boot", "--ablate", "tlb");
        Assert.Equal(2, code);
        Assert.Contains("minibsd boot: --ablate 'tlb' is not one of free-cost, percpu-cache, tlbi-model, asid-pair", stderr);
    }

    [Fact]
    public void Ablations_are_a_dimension_with_a_table_of_what_each_mechanism_accounts_for()
    {
        var o = new MiniBSD.Cli.Boot.SystemOptions(MemoryBytes: 128 * MiniBSD.Hal.MachineConfig.MiB);
        var m = ExitBench.Parse("exitstorm", "4", "purge,reaper", "0", out _, ablate: "free-cost")!;
        var runs = ExitBench.RunAll(o, m, null);
        Assert.Equal(["none", "none", "free-cost", "free-cost"], runs.Select(r => r.Ablated));
        Assert.All(runs.Where(r => r.Ablated == "free-cost"), r => Assert.Equal(0, r.FreePath.FpageqLock.HoldCycles));
        Assert.All(runs.Where(r => r.Ablated == "none"), r => Assert.True(r.FreePath.FpageqLock.HoldCycles > 0));
        Assert.All(runs, r => Assert.False(r.Failed, r.Failure));
        string md = ExitTables.Markdown(m, runs, checkerOn: true);
        Assert.Contains("### exitstorm, free-cost off: simulated time to the halt", md);
        var row = md.Split('\n').Single(l => l.StartsWith("| arm64 | 4 | free-cost |", StringComparison.Ordinal));
        double Pct(RunReport p, RunReport r) => 100 * (p.SimulatedMs - r.SimulatedMs) / r.SimulatedMs;
        double whole = Pct(runs[0], runs[1]), without = Pct(runs[2], runs[3]);
        Assert.Equal(FormattableString.Invariant($"| arm64 | 4 | free-cost | {whole:+0.0;-0.0;0.0} % | {without:+0.0;-0.0;0.0} % | {whole - without:+0.0;-0.0;0.0} |"), row);
    }

    [Fact]
    public void A_sweep_sets_the_variable_in_each_cell_and_tabulates_purge_against_reaper_by_value()
    {
        var o = new SystemOptions(MemoryBytes: 128 * MiniBSD.Hal.MachineConfig.MiB);
        var m = ExitBench.Parse("exitstorm", "2", "purge,reaper", "0", out string? problem, sets: ["ENTRIES=3"], sweep: "PAGES=2,9")!;
        Assert.Null(problem);
        Assert.StartsWith("ENTRIES=3\nPAGES=9\n", m.ScriptFor("9"), StringComparison.Ordinal);
        var runs = ExitBench.RunAll(o, m, null);
        Assert.Equal(["ENTRIES=3 PAGES=2", "ENTRIES=3 PAGES=2", "ENTRIES=3 PAGES=9", "ENTRIES=3 PAGES=9"], runs.Select(r => r.Params));
        Assert.All(runs, r => Assert.False(r.Failed, r.Failure));
        // 2 drivers x 48 children, each 2 or 9 pages: 9 pages write more frames (in 3 map entries each).
        var (small, large) = (runs[0].PagesFreed, runs[2].PagesFreed);
        Assert.True(large - small >= 2 * 48 * 7, $"{small} and {large} pages freed");
        string md = ExitTables.Markdown(m, runs, checkerOn: true);
        Assert.Contains("### exitstorm: purge against reaper by PAGES", md);
        Assert.Contains("### exitstorm, PAGES=9: simulated time to the halt", md);
        Assert.Single(md.Split('\n'), l => l.StartsWith("| arm64 | 2 | 9 |", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_exit_path_for_run_is_named()
    {
        var (code, _, stderr) = Minibsd("boot", "--exit-path", "later");
        Assert.Equal(2, code);
        Assert.Contains("minibsd boot: --exit-path 'later' is not one of purge, reaper, purge-unordered, purge-broken", stderr);
    }

    [Fact]
    public void Run_writes_the_json_of_what_it_measured()
    {
        string dir = Directory.CreateTempSubdirectory("minibsd-json").FullName;
        try
        {
            string script = Path.Combine(dir, "w.sh"), json = Path.Combine(dir, "out.json");
            File.WriteAllText(script, "exitstorm 8 4\n");
            var (code, stdout, stderr) = Minibsd("run", script, "--cpus", "2", "--memory", "64M", "--exit-path", "reaper", "--json", json);
            Assert.True(code == 0, stderr);
            Assert.Contains("exit path reaper: 10 exits", stderr);   // 8 children, exitstorm and the sh that ran /etc/rc
            var r = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
            Assert.Equal("reaper", r.GetProperty("exitPath").GetString());
            Assert.Equal(0L, r.GetProperty("exit").GetProperty("exit1TeardownCycles").GetInt64());   // the reaper did it all
            Assert.True(r.GetProperty("exit").GetProperty("framesFreedByReaper").GetInt64() >= 8 * 4);
            Assert.Equal(2, r.GetProperty("perCpu").GetArrayLength());
            var processes = r.GetProperty("exit").GetProperty("processes").EnumerateArray().ToList();
            Assert.Equal(r.GetProperty("exit").GetProperty("collected").GetInt32(), processes.Count);
            Assert.Equal(9, processes.Count(p => p.GetProperty("command").GetString() == "exitstorm"));   // 8 children and the driver
            Assert.All(processes, p =>
            {
                Assert.Equal(0, p.GetProperty("exit1TeardownCycles").GetInt64());
                Assert.True(p.GetProperty("reaperTeardownCycles").GetInt64() > 0 && p.GetProperty("latency").GetInt64() > p.GetProperty("reaperTeardownCycles").GetInt64());
            });
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Verbose_shows_each_step_of_an_exit_in_order()
    {
        string dir = Directory.CreateTempSubdirectory("minibsd-steps").FullName;
        try
        {
            string script = Path.Combine(dir, "m.sh");
            File.WriteAllText(script, "memtouch 4\necho done\n");
            var (code, stdout, stderr) = Minibsd("run", script, "--cpus", "1", "--memory", "64M", "--exit-path", "reaper", "--verbose");
            Assert.True(code == 0, stderr);
            var steps = System.Text.RegularExpressions.Regex.Matches(stderr, @"\] pid (\d+): (.+) \[exit path reaper\]")
                .Select(m => (Pid: m.Groups[1].Value, Step: m.Groups[2].Value)).ToList();
            string pid = steps[0].Pid;   // memtouch, the first to exit
            var mine = steps.Where(s => s.Pid == pid).Select(s => s.Step).ToList();
            Assert.Equal("exit1", mine[0]);
            Assert.Equal(["fdfree", "zombprocess", "pmap_deactivate (1)", "sched_exit", "exit2: on deadproc (1)", "reaper: off deadproc"],
                mine.Skip(1).Take(6));
            Assert.StartsWith("uvm_exit (", mine[7]);                 // the whole teardown: the reaper frees every frame
            Assert.Equal(["zombie: SIGCHLD, wakeup parent", "wait4 returns"], mine.Skip(8));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
