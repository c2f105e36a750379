using MiniBSD.Cli.Boot;
using MiniBSD.Hal;
using MiniBSD.Userland;

namespace MiniBSD.Tests.Cli;

/// <summary>`minibsd boot` and `minibsd run`: the console alone on stdout, the summary on stderr, the exit status.</summary>
public sealed class SystemCommandTests
{
    private static readonly SystemOptions Small = new(Cpus: 2, MemoryBytes: 64 * MachineConfig.MiB);

    private const string DefaultConsole = """
        rc: MiniBSD is up; running the default workload
        fork + exec + wait: hello from a child process
        cowtest: ok
        memtouch: 64 fresh pages written (zero-fill faults)
        forkbench: 20 x (fork, child writes 16 copy-on-write pages, exit, wait)
        exitstorm: 16 children at once, 8 pages each, all reaped
        pipeline: 1000 lines counted
        sh -c 'exit 3' gave 3
        a sleeper runs in the background
        wait: reaped it
        sum of 1..10 is 55
        rc: done

        """;

    /// <summary>Runs <paramref name="text"/> as a script file named <paramref name="name"/>: (exit code, stdout, stderr).</summary>
    private static (int Code, string Stdout, string Stderr) RunFile(string name, string text, SystemOptions? options = null)
    {
        string dir = Directory.CreateTempSubdirectory("minibsd-run").FullName;
        try
        {
            string script = Path.Combine(dir, name);
            File.WriteAllText(script, text);
            var stdout = new Captured();
            var stderr = new StringWriter();
            int code = SystemCommand.RunScript(options ?? Small, script, stdout, stderr);
            return (code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 7)]
    [InlineData(4, 99)]
    public void Boot_runs_the_default_rc_to_a_clean_halt(int cpus, int seed)
    {
        var stdout = new Captured();
        var stderr = new StringWriter();
        int code = SystemCommand.Boot(Small with { Cpus = cpus, Seed = seed }, stdout, stderr);
        Assert.Equal(DefaultConsole, stdout.ToString());
        string summary = stderr.ToString();
        Assert.Equal(0, code);
        Assert.Contains("minibsd: halted after", summary);
        Assert.Contains("processes: 63 created (fork), 23 execs", summary);   // sh -c 'exit 3' runs in the sh -c process itself
        Assert.Contains("leaks: 0 frames, 0 ASIDs", summary);
        Assert.Contains("TLB coherence checker: 0 violation(s)", summary);
    }

    [Fact]
    public void Boot_on_amd64_runs_the_same_rc_and_says_what_the_machine_is()
    {
        var stderr = new StringWriter();
        var arm = Captured.Minibsd("boot", "--cpus", "2", "--memory", "64M");
        Assert.Equal(0, SystemCommand.Boot(Small with { Arch = Arch.Amd64, Verbose = true }, new Captured(), stderr));
        var (code, stdout, err) = Captured.Minibsd("boot", "--arch", "amd64", "--cpus", "2", "--memory", "64M");
        Assert.Equal(0, code);
        Assert.Equal(arm.Stdout, stdout);                                 // the same programs print the same console
        Assert.Contains("x86: INVLPG", err);
        Assert.Contains("leaks: 0 frames, 0 PCIDs", err);
        Assert.Contains("TLB coherence checker: 0 violation(s)", err);
        string log = stderr.ToString();
        Assert.Contains("] MiniBSD/amd64: 2 CPUs, 64 MiB RAM at 0x40000000", log);
        Assert.Contains("pmap_purge no (__HAVE_PMAP_PURGE)", log);
        Assert.Contains("] mmu self-check: [ok] a shootdown reaches the other CPU running the pmap: 1 IPI (vector 0xf2)", log);
        Assert.DoesNotContain("FAILED", log);
    }

    [Theory]
    [InlineData("--arch", "sparc", "--arch 'sparc' is not arm64 or amd64")]
    [InlineData("--pa-bits", "60", "--pa-bits 60: MAXPHYADDR is 32 to 52 on amd64")]
    public void A_bad_arch_or_pa_bits_for_amd64_is_one_line(string option, string value, string message)
    {
        var (code, stdout, stderr) = Captured.Minibsd(option == "--arch" ? ["boot", option, value] : ["boot", "--arch", "amd64", option, value]);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public void Run_prints_only_the_console_on_stdout_and_exits_with_the_scripts_status()
    {
        var (code, stdout, stderr) = RunFile("work.sh", "echo out\nnosuchprogram\necho err 1>&2\nexit 4\n");
        Assert.Equal(4, code);
        Assert.Equal("out\nsh: nosuchprogram: not found\nerr\n", stdout);
        Assert.DoesNotContain("out", stderr.Split('\n')[0]);
        Assert.Contains("leaks: 0 frames, 0 ASIDs", stderr);
    }

    [Fact]
    public void A_script_that_never_ends_is_stopped_by_max_time_and_the_run_fails()
    {
        var (code, stdout, stderr) = RunFile("forever.sh", "echo start\nwhile :; do :; done\n", Small with { MaxSeconds = 0.002 });
        Assert.Equal(1, code);
        Assert.Equal("start\n", stdout);
        Assert.Contains("minibsd: stopped at the time limit, 0.002 s simulated (--max-time), before init halted", stderr);
        Assert.Contains("processes still alive: ", stderr);
        Assert.Contains("    pid 1 (init) ", stderr);
    }

    [Fact]
    public void A_syntax_error_names_the_script_line_and_column_runs_nothing_and_exits_2()
    {
        var (code, stdout, _) = RunFile("bad.sh", "echo first\nif true; then\n  echo x\nfi fi\n");
        Assert.Equal(2, code);
        Assert.Equal("sh: /bad.sh:4:4: syntax error: unexpected \"fi\"\n", stdout);
    }

    [Fact]
    public void Verbose_prints_the_kernel_messages_with_simulated_time_on_stderr()
    {
        var stderr = new StringWriter();
        Assert.Equal(0, SystemCommand.Boot(Small with { Verbose = true }, Stream.Null, stderr));
        string log = stderr.ToString();
        Assert.StartsWith("[    0.000000] MiniBSD/arm64: 2 CPUs, 64 MiB RAM at 0x40000000", log);
        Assert.Contains("] pid 1: exec /sbin/init", log);
        Assert.Contains("] mmu self-check: [ok]", log);
        Assert.Contains("] init: halting (/etc/rc exited 0)", log);
    }

    [Fact]
    public void A_cost_file_changes_the_simulated_time_and_a_bad_one_is_refused()
    {
        string dir = Directory.CreateTempSubdirectory("minibsd-boot").FullName;
        string file = Path.Combine(dir, "costs.json");
        File.WriteAllText(file, """{"WalkRead": 1000}""");
        static long Cycles(StringWriter w) => long.Parse(w.ToString().Split("(")[1].Split(' ')[0].Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture);
        var slow = new StringWriter();
        Assert.Equal(0, SystemCommand.Boot(Small with { CostsFile = file }, Stream.Null, slow));
        var normal = new StringWriter();
        Assert.Equal(0, SystemCommand.Boot(Small, Stream.Null, normal));
        Assert.True(Cycles(slow) > Cycles(normal) + 100_000);
        File.WriteAllText(file, """{"WalkReed": 1}""");
        var err = new StringWriter();
        Assert.Equal(2, SystemCommand.Boot(Small with { CostsFile = file }, Stream.Null, err));
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
        Assert.True(BootSizes.TryParse(text, out ulong v));
        Assert.Equal(bytes, v);
        Assert.False(BootSizes.TryParse("lots", out _));
    }

    [Fact]
    public void Bad_options_and_a_missing_script_are_refused_with_exit_2()
    {
        var err = new StringWriter();
        Assert.Equal(2, SystemCommand.Boot(Small with { Cpus = 0 }, Stream.Null, err));
        Assert.Contains("--cpus 0: a machine has 1 to 64 CPUs", err.ToString());
        Assert.Equal(2, SystemCommand.Boot(Small with { PaBits = 47 }, Stream.Null, err));
        Assert.Contains("--pa-bits 47", err.ToString());
        Assert.Equal(2, SystemCommand.Boot(Small with { MemoryBytes = 8 * MachineConfig.GiB, PaBits = 32 }, Stream.Null, err));
        Assert.Contains("does not fit a 32-bit physical address space", err.ToString());
        Assert.Equal(2, Captured.Minibsd("boot", "--memory", "lots").Code);
        Assert.Equal(2, SystemCommand.RunScript(Small, "/nonexistent/script.sh", Stream.Null, err));
        Assert.Contains("minibsd run: SCRIPT: cannot read /nonexistent/script.sh: no such folder on its path", err.ToString());
        Assert.Equal(2, SystemCommand.RunScript(Small, AppContext.BaseDirectory, Stream.Null, err));
        Assert.Contains("it is a directory", err.ToString());
        Assert.Equal(2, Captured.Minibsd("run").Code);
        Assert.Equal(2, Captured.Minibsd("boot", "--cpus", "two").Code);
    }

    [Fact]
    public void Bench_forkexit_reports_the_host_rate_and_the_simulated_cost_of_one_loop()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.Equal(0, MiniBSD.Cli.Bench.ForkExitBench.Run(Small, pages: 16, iterations: 50, stdout, stderr));
        string text = stdout.ToString();
        Assert.Equal("", stderr.ToString());
        Assert.Contains("forkexit: 50 x (fork, child writes 16 copy-on-write pages, exit, wait) by /usr/bin/forkbench on 2 arm64 CPUs", text);
        Assert.Contains("loops per host second", text);
        // Per loop: fork, exit, wait4; the child's 16 copy-on-write faults and one more; a VAE1IS or two for the
        // parent's pages fork write-protects; an ASID flush at pmap_purge and one when the ASID is freed: each made for
        // both ASIDs of the kernel/user pair.
        Assert.Contains("per loop:  3 system calls, 17 page faults, 3 context switches, TLBI VAE1IS 4", text);
        Assert.Contains(", TLBI ASIDE1IS 4\n", text);
        Assert.EndsWith("  checked:   50 loops run again with the TLB coherence checker: 0 violations, 0 frames and 0 ASIDs leaked\n", text);
        Assert.Equal(2, MiniBSD.Cli.Bench.ForkExitBench.Run(Small, pages: 16, iterations: 0, TextWriter.Null, stderr));
        Assert.Contains("--iterations 0: must be 1 or more", stderr.ToString());
    }

    [Fact]
    public void Bench_forkexit_on_amd64_counts_the_invpcids_and_ipis_of_a_loop()
    {
        var (code, stdout, stderr) = Captured.Minibsd("bench", "forkexit", "--arch", "amd64", "--iterations", "50", "--memory", "64M");
        Assert.True(code == 0, stderr);
        Assert.Contains("by /usr/bin/forkbench on 2 amd64 CPUs", stdout);
        // Per loop (the run is deterministic): local invalidations only, for the fork's write-protect, the copy-on-write
        // faults' read-only-first upgrades and the exit's teardown with the pmap loaded; no other CPU runs either pmap,
        // so no IPI; and no TLBI, an arm64 instruction.
        Assert.Contains("per loop:  3 system calls, 17 page faults, 3 context switches, INVPCID type 0 36.98, INVPCID type 1 2, IPIs 0\n", stdout);
        Assert.Contains("checked:   50 loops run again with the TLB coherence checker: 0 violations", stdout);
    }

    [Fact]
    public void The_default_rc_is_what_boot_runs() => Assert.Contains("cowtest 16", Rootfs.DefaultRc);
}
