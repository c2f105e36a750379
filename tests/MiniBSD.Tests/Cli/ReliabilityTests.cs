using System.Diagnostics;
using System.Text;
using MiniBSD.Cli.Host;

namespace MiniBSD.Tests.Cli;

/// <summary>
/// Nothing a user gives the command ends in a stack trace: each malformed input (missing, empty, binary, wrong type,
/// out of range, unwritable target) is one clear line and the exit code; outputs never replace a device; the
/// console carries bytes; a runaway script ends; fork failures end sh.
/// </summary>
public sealed class ReliabilityTests
{
    private static readonly string Temp = Directory.CreateTempSubdirectory("minibsd-reliability").FullName;

    private static string File(string name, byte[] content)
    {
        string path = Path.Combine(Temp, name);
        System.IO.File.WriteAllBytes(path, content);
        return path;
    }

    private static string Binary => File("binary.bin", [0x00, 0xFF, 0xFE, 0x7F, 0x80, 0x01, 0x00, 0xC3]);

    public static TheoryData<string[], string> UsageErrors() => new()
    {
        { ["run", ""], "minibsd run: SCRIPT: the file name is empty" },
        { ["run", "/nonexistent.sh"], "minibsd run: SCRIPT: cannot read /nonexistent.sh: no such file" },
        { ["run", "/"], "minibsd run: SCRIPT: cannot read /: it is a directory" },
        { ["boot", "--cpus", "abc"], "minibsd boot: Cannot parse argument 'abc' for option '--cpus'" },
        { ["boot", "--cpus", "0"], "minibsd boot: --cpus 0: a machine has 1 to 64 CPUs" },
        { ["boot", "--max-time", "-1"], "minibsd boot: --max-time -1: must be 0 (no limit) or more seconds" },
        { ["boot", "--costs", ""], "minibsd boot: --costs the file name is empty" },
        { ["boot", "--costs", "/nonexistent.json"], "minibsd boot: --costs cannot read /nonexistent.json: no such file" },
        { ["boot", "--costs", "BINARY"], "minibsd boot: --costs BINARY:1: not valid JSON" },
        { ["boot", "--fail-at", "kmalloc:1"], "minibsd boot: --fail-at kmalloc:1: 'kmalloc' is not a site" },
        { ["boot", "--fail-at", "fdalloc:0"], "minibsd boot: --fail-at fdalloc:0: give SITE:N" },
        { ["boot", "--fail-rate", "pipe:2"], "minibsd boot: --fail-rate pipe:2: give SITE:P" },
        { ["boot", "--bogus"], "minibsd boot: Unrecognized command or argument '--bogus'" },
        { ["bench", "exit", "--cpus", "1,,2"], "minibsd bench exit: --cpus '1,,2': an empty item in the list" },
        { ["bench", "exit", "--cpus", "1", "--out", "/nonexistent/a/b"], "minibsd bench exit: --out cannot make /nonexistent/a/b: its parent /nonexistent/a does not exist" },
        { ["bench", "exit", "--workload", "/"], "minibsd bench exit: --workload cannot read /: it is a directory" },
        { ["bench", "forkexit", "--iterations", "0"], "minibsd bench forkexit: --iterations 0: must be 1 or more" },
        { ["bench", "forkexit", "--pages", "x"], "minibsd bench forkexit: Cannot parse argument 'x' for option '--pages'" },
        { ["fuzz", "--seeds", "x"], "minibsd fuzz: --seeds x: 'x' is not a seed or a range" },
        { ["fuzz", "--cpus", "9-1"], "minibsd fuzz: --cpus 9-1: give a count or a range" },
        { ["fuzz", "--calls", "0"], "minibsd fuzz: --calls 0: must be 1 to 10000000" },
        { ["mmu", "at", ""], "minibsd mmu at: the file name is empty" },
        { ["mmu", "at", "/nonexistent.json"], "minibsd mmu at: cannot read /nonexistent.json: no such file" },
        { ["mmu", "at", "BINARY"], "minibsd mmu at: BINARY:1:1: malformed JSON" },
        { ["nosuchcommand"], "minibsd: Unrecognized command or argument 'nosuchcommand'" },
    };

    [Theory]
    [MemberData(nameof(UsageErrors))]
    public void Malformed_input_is_one_line_naming_it_and_exit_2(string[] args, string message)
    {
        string binary = Binary;
        args = args.Select(a => a == "BINARY" ? binary : a).ToArray();
        var (code, stdout, stderr) = Captured.Minibsd(args);
        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.StartsWith(message.Replace("BINARY", binary, StringComparison.Ordinal), stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void An_unwritable_json_target_is_named_and_the_run_exits_2_after_its_summary()
    {
        var (code, _, stderr) = Captured.Minibsd("boot", "--cpus", "1", "--memory", "64M", "--json", "/nonexistent/dir/run.json");
        Assert.Equal(2, code);
        Assert.EndsWith("minibsd boot: --json cannot write /nonexistent/dir/run.json: no such folder on its path\n", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void A_json_target_that_is_a_device_is_written_in_place_and_stays_a_device()
    {
        Assert.Equal(FileKind.Other, HostFileKind.Of("/dev/null"));
        var (code, _, stderr) = Captured.Minibsd("boot", "--cpus", "1", "--memory", "64M", "--json", "/dev/null");
        Assert.True(code == 0, stderr);
        Assert.Equal(FileKind.Other, HostFileKind.Of("/dev/null"));   // not replaced by a regular file
        string regular = Path.Combine(Temp, "run.json");
        Assert.True(HostFiles.WriteText(regular, "{}\n", out _));
        Assert.Equal(FileKind.Regular, HostFileKind.Of(regular));
        string link = Path.Combine(Temp, "link.json");
        System.IO.File.Delete(link);
        System.IO.File.CreateSymbolicLink(link, regular);
        Assert.True(HostFiles.WriteText(link, "[1]\n", out _));
        Assert.Equal(FileKind.SymbolicLink, HostFileKind.Of(link));   // written through, not replaced
        Assert.Equal("[1]\n", System.IO.File.ReadAllText(regular));
        Assert.Empty(Directory.GetFiles(Temp, "*.tmp"));
    }

    [Fact]
    public void The_console_carries_bytes_so_utf8_text_comes_out_unchanged()
    {
        string script = File("utf8.sh", Encoding.UTF8.GetBytes("echo \"café ✓\"\n"));
        using var stdout = new Captured();
        var stderr = new StringWriter();
        Assert.Equal(0, MiniBSD.Cli.Program.Run(["run", "--cpus", "1", "--memory", "64M", script], stdout, stderr));
        Assert.Equal(Encoding.UTF8.GetBytes("café ✓\n"), stdout.ToArray());
    }

    [Fact]
    public void A_fork_loop_ends_when_fork_fails_as_dash_ends_it()
    {
        string script = File("forkloop.sh", Encoding.UTF8.GetBytes("while :; do sleep 1 & done\necho never\n"));
        using var stdout = new Captured();
        var stderr = new StringWriter();
        int code = MiniBSD.Cli.Program.Run(["run", "--cpus", "2", "--memory", "64M", "--maxproc", "12", script], stdout, stderr);
        Assert.Equal(2, code);
        Assert.Equal("sh: cannot fork: Resource temporarily unavailable\n", stdout.ToString());
        Assert.Contains("leaks: 0 frames, 0 ASIDs", stderr.ToString());
    }

    [Fact]
    public void A_string_that_doubles_forever_is_bounded_by_the_emulated_memory_and_the_run_ends()
    {
        string script = File("grow.sh", Encoding.UTF8.GetBytes("x=a\nwhile :; do x=\"$x$x\"; done\n"));
        using var stdout = new Captured();
        var stderr = new StringWriter();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        int code = MiniBSD.Cli.Program.Run(["run", "--cpus", "1", "--memory", "32M", script], stdout, stderr);
        Assert.True(code is 137 or 2, $"{code}: {stderr}");   // killed out of swap (128 + SIGKILL), or sh's own ENOMEM
        Assert.Matches(@"^(UVM: pid \d+ \(sh\), uid 0 killed: out of swap|sh: out of memory)\n$", stdout.ToString());
        Assert.Contains("leaks: 0 frames, 0 ASIDs", stderr.ToString());
        Assert.True(GC.GetTotalMemory(forceFullCollection: true) - before < 64L << 20);   // nothing the run grew is kept
    }

    /// <summary>Runs the real command as a process with its standard output redirected by the shell.</summary>
    private static (int Code, string Stderr) Process(string redirect)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "minibsd.dll");
        var start = new ProcessStartInfo("/bin/sh", ["-c", $"exec dotnet \"{dll}\" boot --cpus 1 --memory 64M {redirect}"]) { RedirectStandardError = true };
        using var p = System.Diagnostics.Process.Start(start)!;
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stderr);
    }

    [Theory]
    [InlineData(">&-", "minibsd: cannot write standard output: standard output is closed")]
    [InlineData("> /dev/full", "minibsd: cannot write standard output: No space left on device")]
    public void A_standard_output_that_cannot_be_written_is_one_line_and_exit_1(string redirect, string message)
    {
        var (code, stderr) = Process(redirect);
        Assert.Equal(1, code);
        Assert.EndsWith(message + "\n", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }
}

/// <summary>The benchmarks: every figure measured in the run, every option honoured, a failure never a number.</summary>
public sealed class BenchReliabilityTests
{
    [Fact]
    public void A_bench_exit_cell_that_fails_is_marked_failed_in_every_file_and_the_command_exits_1()
    {
        string dir = Directory.CreateTempSubdirectory("minibsd-failed-cells").FullName;
        var (code, stdout, stderr) = Captured.Minibsd("bench", "exit", "--workload", "exitstorm", "--cpus", "1", "--exit-path", "purge,reaper",
            "--memory", "64M", "--max-time", "0.00005", "--out", dir);
        Assert.Equal(1, code);
        Assert.Contains("**2 of 2 runs FAILED**", stdout);
        Assert.Contains("| 1 | failed | failed | failed |", stdout);
        Assert.Contains("FAILED: did not halt (time-limit)", stdout);
        Assert.Contains("minibsd bench exit: FAILED purge on 1 CPUs (arm64), seed 0: did not halt (time-limit)", stderr);
        var runs = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "exit-exitstorm.json"))).RootElement;
        Assert.All(runs.EnumerateArray(), r => Assert.Equal("did not halt (time-limit)", r.GetProperty("failure").GetString()));
        string svg = File.ReadAllText(Path.Combine(dir, "exit-exitstorm.svg"));
        Assert.Contains("CPUs: FAILED", svg);
        Assert.DoesNotContain("<polyline", svg);
    }

    [Fact]
    public void Bench_forkexit_prints_only_what_it_measured_writes_json_and_fails_on_the_broken_path()
    {
        string json = Path.Combine(Directory.CreateTempSubdirectory("minibsd-forkexit").FullName, "f.json");
        var (code, stdout, stderr) = Captured.Minibsd("bench", "forkexit", "--iterations", "30", "--memory", "64M", "--json", json);
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("Linux", stdout);
        Assert.DoesNotContain("target", stdout);
        var f = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal(30, f.GetProperty("iterations").GetInt32());
        Assert.Equal(3, f.GetProperty("syscallsPerLoop").GetDouble());
        Assert.Equal(0, f.GetProperty("checkedViolations").GetInt32());
        var broken = Captured.Minibsd("bench", "forkexit", "--iterations", "30", "--memory", "64M", "--exit-path", "purge-broken");
        Assert.Equal(1, broken.Code);
        Assert.Contains("minibsd bench forkexit: the checked run failed: ", broken.Stderr);
        Assert.Contains("FreedFrameStillMapped", broken.Stderr);
        var limited = Captured.Minibsd("bench", "forkexit", "--iterations", "100000", "--memory", "64M", "--max-time", "0.001");
        Assert.Equal(1, limited.Code);
        Assert.Contains("did not halt within --max-time 0.001 s simulated", limited.Stderr);
    }
}
