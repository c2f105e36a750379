using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MiniBSD.Cli.Boot;
using MiniBSD.Hal;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;
using MiniBSD.Userland;

namespace MiniBSD.Cli.Fuzz;

/// <summary>
/// <c>minibsd fuzz</c>: for each seed, a machine boots and /usr/bin/fuzz runs the system-call program generated from
/// the seed (<see cref="FuzzGenerator"/>), with fault injection at one allocation site a seed if asked. After each
/// seed: no kernel panic, the run halted, every process reaped, 0 frames and 0 ASIDs leaked, no coherence
/// violation. A failing seed is printed with the command that reproduces it and its program shrunk to a few lines.
/// </summary>
public static class FuzzCommand
{
    public sealed record Options(IReadOnlyList<int> Seeds, int Calls, int CpusMin, int CpusMax, int Procs, bool InjectFaults, SystemOptions System);

    /// <summary>What one seed did: its figures and, when it failed, why.</summary>
    public sealed record SeedResult(int Seed, int Cpus, string? FaultSite, long Syscalls, long[] Results, string? Failure, double SimulatedMs);

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static int Run(Options o, string? json, TextWriter stdout, TextWriter stderr)
    {
        var clock = Stopwatch.StartNew();
        var results = new SeedResult[o.Seeds.Count];
        int done = 0;
        var gate = new object();
        Parallel.For(0, o.Seeds.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            int seed = o.Seeds[i];
            results[i] = RunSeed(o, seed, FuzzGenerator.Generate(seed, o.Calls, o.Procs));
            lock (gate)
            {
                done++;
                if (results[i].Failure is { } f) stderr.WriteLine($"  seed {seed}: FAILED: {f}");
                if (done % 50 == 0 || done == o.Seeds.Count) stderr.WriteLine($"  [{done}/{o.Seeds.Count}] seeds, {clock.Elapsed.TotalSeconds:F1} s host");
            }
        });
        var failed = results.Where(r => r.Failure is not null).ToList();
        foreach (var r in failed.Take(3)) Report(o, r, stdout);
        PrintSummary(o, results, clock.Elapsed, stdout);
        if (json is not null && !SystemCommand.WriteOutput(json, JsonSerializer.Serialize(results, Json) + "\n", "fuzz --json", stderr))
            return 2;
        return failed.Count == 0 ? 0 : 1;
    }

    /// <summary>/etc/rc of a seed: the driver; rc's status is the driver's.</summary>
    public const string Rc = "fuzz /etc/fuzz.calls\n";

    /// <summary>
    /// Fault injection spares init (as the kernel does) and the driver's own page faults: a driver killed as out of
    /// swap would leave its children to sleep for ever with nobody to kill them. Its system calls still fail.
    /// </summary>
    private static bool Spared(InitMain k) =>
        k.Sched.Running is { Process: { } pr } t && (pr.Pid == 1 || (pr.Command == "fuzz" && pr.Parent?.Command != "fuzz" && t.InUser));

    /// <summary>Boots a machine for <paramref name="seed"/> and runs <paramref name="program"/>; what happened.</summary>
    public static SeedResult RunSeed(Options o, int seed, IReadOnlyList<string> program)
    {
        int cpus = o.CpusMin + seed % (o.CpusMax - o.CpusMin + 1);
        var site = o.InjectFaults ? FailSiteNames.All[seed % FailSiteNames.All.Count] : (FailSite?)null;
        var so = o.System with { Cpus = cpus, Seed = seed };
        var config = SystemCommand.Configure(so, "fuzz", TextWriter.Null)!;
        var machine = new Machine(config);
        var root = Rootfs.Create(Rc);
        root.AddFile("/etc/fuzz.calls", Encoding.UTF8.GetBytes(string.Join('\n', program) + "\n"));
        InitMain? k = null;
        try
        {
            k = new InitMain(machine, root, so.KernelOptions());
            machine.Console.Sink = Stream.Null;
            if (site is { } s) k.FailPoints.FailRate(s, 0.05);
            k.FailPoints.Exempt = () => Spared(k);
            k.Start();
            var end = k.Run(RunLimits.Cycles(so, config), RunLimits.HostGuard(config, Environment.ProcessorCount));
            return Result(seed, cpus, site, k, Check(k, end) ?? Status(k, site is not null));
        }
        catch (KernelPanicException e)
        {
            return Result(seed, cpus, site, k, $"kernel panic: {e.Message}");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // An exception out of the kernel or the HAL is a bug as a panic is: this seed fails, the others go on.
            return Result(seed, cpus, site, k, $"kernel exception: {e.GetType().Name} in {e.TargetSite?.DeclaringType?.Name}.{e.TargetSite?.Name}: {e.Message}");
        }
    }

    private static SeedResult Result(int seed, int cpus, FailSite? site, InitMain? k, string? failure) =>
        new(seed, cpus, site?.Name(), k?.SyscallCount ?? 0, k?.SyscallResults.ToArray() ?? [], failure,
            k is null ? 0 : Math.Round(k.Machine.Cpus.Max(c => c.Clock) * 1000.0 / k.Machine.Costs.FrequencyHz, 3));

    /// <summary>
    /// The driver's status must be 0 without fault injection; with it, anything the kernel may answer goes (an exec
    /// that fails after its point of no return is SIGABRT, a fault without memory SIGKILL). A program that threw (the
    /// fuzzer's own bug, which the kernel turns into SIGABRT) fails the seed either way.
    /// </summary>
    private static string? Status(InitMain k, bool injecting) =>
        k.Dmesg.Messages.FirstOrDefault(m => m.Contains("the program threw", StringComparison.Ordinal)) is { } threw ? $"a program threw: {threw}"
        : k.HaltStatus == 0 || injecting ? null
        : $"the fuzz driver exited {k.HaltStatus}";

    /// <summary>Why a finished run is not clean, or null.</summary>
    private static string? Check(InitMain k, RunEnd end)
    {
        var leaked = k.LeakedFrames().Where(kv => kv.Value != 0).ToList();
        var alive = k.Procs.All.Where(p => p.Pid != 1).ToList();
        return end != RunEnd.Halted ? $"the run did not halt ({RunReport.EndName(end)}); alive: {string.Join(", ", k.Procs.All.Select(Describe))}"
            : alive.Count > 0 ? $"processes not reaped: {string.Join(", ", alive.Select(p => $"{p.Pid} ({p.Command})"))}"
            : leaked.Count > 0 ? $"leaked {string.Join(", ", leaked.Select(kv => $"{kv.Value} {kv.Key} frames"))}"
            : k.LeakedAsids != 0 ? $"leaked {k.LeakedAsids} ASIDs"
            : k.Machine.Checker.Violations.Count > 0 ? $"{k.Machine.Checker.Violations.Count} coherence violations, the first: {k.Machine.Checker.Violations[0]}"
            : null;
    }

    /// <summary>"pid (command) state on channel, in CALL": what a process that is still there is doing.</summary>
    private static string Describe(MiniBSD.Kernel.Kern.Process p)
    {
        var t = p.MainThread;
        return $"{p.Pid} ({p.Command}, parent {p.Parent?.Pid}) {t?.State}{(t?.WaitChannel is { } c ? $" on {c}" : "")}{(t is { Syscall: not 0 } ? $" in {t.Syscall}" : "")}";
    }

    /// <summary>A failing seed: the command that reproduces it and its program, shrunk.</summary>
    private static void Report(Options o, SeedResult r, TextWriter w)
    {
        w.WriteLine($"seed {r.Seed} FAILED: {r.Failure}");
        w.WriteLine($"  reproduce: minibsd fuzz --seeds {r.Seed} --calls {o.Calls} --cpus {o.CpusMin}-{o.CpusMax} --procs {o.Procs} --exit-path {o.System.ExitPath.Name()} --memory {BootSizes.Format(o.System.MemoryBytes).Replace(" ", "", StringComparison.Ordinal).Replace("iB", "", StringComparison.Ordinal)}{(o.InjectFaults ? " --inject-faults" : "")}");
        string kind = Kind(r.Failure!);
        var shrunk = FuzzShrinker.Shrink(FuzzGenerator.Generate(r.Seed, o.Calls, o.Procs), p => RunSeed(o, r.Seed, p).Failure is { } f && Kind(f) == kind);
        w.WriteLine($"  the program shrunk to {shrunk.Count} of {o.Calls} lines (WHO CALL ARGS; call numbers as syscalls.master):");
        foreach (var line in shrunk) w.WriteLine($"    {line}");
    }

    /// <summary>The class of a failure, which a shrunk program must keep: its words before the first detail.</summary>
    private static string Kind(string failure) => failure.Split([':', '(', ';'])[0];

    private static void PrintSummary(Options o, IReadOnlyList<SeedResult> results, TimeSpan host, TextWriter w)
    {
        long calls = results.Sum(r => r.Syscalls);
        var byErrno = new long[128];
        foreach (var r in results)
            for (int e = 0; e < r.Results.Length; e++) byErrno[e] += r.Results[e];
        w.WriteLine($"fuzz: {results.Count} seeds, {calls:N0} system calls in {host.TotalSeconds:F1} s host ({calls / Math.Max(host.TotalSeconds, 1e-9):N0} a second), "
            + $"{results.Count(r => r.Failure is not null)} failed{(o.InjectFaults ? "; fault injection at one site a seed" : "")}");
        w.WriteLine("  results: " + string.Join(", ", Enumerable.Range(0, 128).Where(e => byErrno[e] > 0)
            .Select(e => $"{(e == 0 ? "ok" : ((Errno)e).ToString())} {byErrno[e]:N0}")));
    }

    /// <summary>Seeds as "1-1000", "5" or "1,2,9".</summary>
    public static List<int>? ParseSeeds(string text, out string? error)
    {
        error = null;
        var seeds = new List<int>();
        foreach (string item in text.Split(','))
        {
            var range = item.Split('-');
            if (range.Length is 1 or 2 && range.All(x => int.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            {
                int lo = int.Parse(range[0], CultureInfo.InvariantCulture), hi = int.Parse(range[^1], CultureInfo.InvariantCulture);
                if (lo <= hi && hi - lo < 1_000_000) { seeds.AddRange(Enumerable.Range(lo, hi - lo + 1)); continue; }
            }
            error = $"--seeds {text}: '{item}' is not a seed or a range such as 1-1000";
            return null;
        }
        return seeds;
    }
}
