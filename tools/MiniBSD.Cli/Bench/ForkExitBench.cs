using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using MiniBSD.Cli.Boot;
using MiniBSD.Cli.Host;
using MiniBSD.Hal;
using MiniBSD.Hal.Cost;
using MiniBSD.Hal.Tlb;
using MiniBSD.Kernel.Kern;
using MiniBSD.Userland;

namespace MiniBSD.Cli.Bench;

/// <summary>
/// <c>minibsd bench forkexit</c>: the fork + exit + wait loop as a user program runs it (/usr/bin/forkbench: fork; the
/// child writes PAGES pages its parent had written, copy-on-write, and exits; the parent waits), on a booted MiniBSD
/// with every system call, fault and TLB operation emulated. Reports the host rate (loops per host second, the run
/// minus a run of 0 loops, after a warm-up) and the simulated cost of one loop. The timed runs have the coherence
/// checker off (the fast path alone); a checked run of the same loop follows, unless --no-check, and a violation or
/// a leak there fails the command. --verbose and --trace show that checked run; --max-time limits every run.
/// </summary>
public static class ForkExitBench
{
    /// <summary>Loops of the checked run at most: enough to reach every step of the loop many times.</summary>
    public const int CheckedIterations = 2_000;

    /// <param name="HostBytes">Bytes the host heap gave out during the run (the kernel's new processes, maps, frames).</param>
    public sealed record Result(int Iterations, double HostSeconds, long HostBytes, long Cycles, CpuCounters Counters, long Syscalls, long Switches,
        long Faults, RunEnd End, int Status, long LeakedFrames, int LeakedAsids, int Violations, IReadOnlyList<string> FirstViolations)
    {
        public bool Clean => End == RunEnd.Halted && Status == 0 && LeakedFrames == 0 && LeakedAsids == 0 && Violations == 0;
    }

    public static int Run(SystemOptions o, int pages, int iterations, TextWriter stdout, TextWriter stderr)
    {
        if (pages is < 0 or > 4096 || iterations < 1)
        {
            stderr.WriteLine($"minibsd bench forkexit: {(iterations < 1 ? $"--iterations {iterations}: must be 1 or more" : $"--pages {pages}: must be 0 to 4096")}");
            return 2;
        }
        if (SystemCommand.Configure(o, "bench forkexit", stderr) is null) return 2;
        var fast = o with { Check = false, Verbose = false, Trace = false };
        Measure(fast, pages, Math.Min(iterations, 20_000), stderr);   // warm-up: tiered JIT reaches its optimised code
        var zero = Measure(fast, pages, 0, stderr);
        var full = Measure(fast, pages, iterations, stderr);
        var check = o.Check ? Measure(o, pages, Math.Min(iterations, CheckedIterations), stderr) : null;
        foreach (var (what, r) in new[] { ("the timed run", full), ("the empty run", zero), ("the checked run", check) })
            if (r is { Clean: false }) stderr.WriteLine($"minibsd bench forkexit: {what} failed: {Problem(r, o)}");
        if (!zero.Clean || !full.Clean || check is { Clean: false }) return 1;
        var figures = Figures.From(o, pages, zero, full, check);
        figures.Print(stdout);
        if (o.JsonFile is { } json && !SystemCommand.WriteOutput(json, JsonSerializer.Serialize(figures, Json) + "\n", "bench forkexit --json", stderr)) return 2;
        return 0;
    }

    private static string Problem(Result r, SystemOptions o) =>
        r.End == RunEnd.TimeLimit ? $"it did not halt within --max-time {o.MaxSeconds} s simulated"
        : r.End != RunEnd.Halted ? $"it did not halt ({RunReport.EndName(r.End)})"
        : r.Status != 0 ? $"forkbench exited {r.Status}"
        : r.Violations > 0 ? $"{r.Violations} TLB coherence violations, the first: {r.FirstViolations[0]}"
        : $"{r.LeakedFrames} frames and {r.LeakedAsids} ASIDs leaked";

    private static Result Measure(SystemOptions o, int pages, int iterations, TextWriter stderr)
    {
        var config = SystemCommand.Configure(o, "bench forkexit", TextWriter.Null)!;
        using var loggers = LoggerFactory.Create(b =>
        {
            if (o.Verbose) b.AddProvider(new DmesgLoggerProvider(stderr)).SetMinimumLevel(LogLevel.Debug);
        });
        var machine = new Machine(config) { Trace = o.Trace ? new SystemCommand.InstructionTrace(stderr) : null };
        var dmesg = new Dmesg(loggers.CreateLogger("kernel"), config.Costs.FrequencyHz);
        var kernel = new InitMain(machine, Rootfs.Create($"forkbench {iterations} {pages}\n"), o.KernelOptions(), dmesg);
        o.Arm(kernel);
        machine.Console.Sink = Stream.Null;
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        kernel.Start();
        var end = kernel.Run(RunLimits.Cycles(o, config));
        double seconds = clock.Elapsed.TotalSeconds;
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        long leaked = end == RunEnd.Halted ? kernel.LeakedFrames().Values.Sum(Math.Abs) : 0;
        return new Result(iterations, seconds, allocated, machine.Cpus.Max(c => c.Clock), machine.TotalCounters(), kernel.SyscallCount,
            kernel.Sched.ContextSwitches, kernel.Uvm.Exp.Faults, end, kernel.HaltStatus, leaked, end == RunEnd.Halted ? kernel.LeakedAsids : 0,
            machine.Checker.Violations.Count, machine.Checker.Violations.Take(5).Select(v => v.ToString()).ToList());
    }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private static string X86Name(string key) => key == "invlpg" ? "INVLPG" : $"INVPCID type {key[^1]}";

    /// <summary>What the command measured, as it prints it and as --json writes it; every figure from this run.</summary>
    public sealed record Figures(string Arch, int Cpus, string ExitPath, int Pages, int Iterations, double LoopsPerHostSecond, double HostMicrosecondsPerLoop,
        double HostBytesPerLoop, double SimulatedCyclesPerLoop, double SimulatedMicrosecondsPerLoop, double SyscallsPerLoop, double FaultsPerLoop,
        double SwitchesPerLoop, IReadOnlyDictionary<string, double> TlbiPerLoop, IReadOnlyDictionary<string, double> X86InvalidationsPerLoop,
        double IpisPerLoop, int? CheckedIterations, int? CheckedViolations)
    {
        public static Figures From(SystemOptions o, int pages, Result zero, Result full, Result? check)
        {
            int n = full.Iterations;
            double seconds = full.HostSeconds - zero.HostSeconds, cycles = (double)(full.Cycles - zero.Cycles) / n;
            double Per(long total) => Math.Round(total / (double)n, 2);
            return new Figures(o.Arch.Name(), o.Cpus, o.ExitPath.Name(), pages, n, Math.Round(n / seconds), Math.Round(seconds * 1e6 / n, 3),
                Math.Round((full.HostBytes - zero.HostBytes) / (double)n), Math.Round(cycles), Math.Round(cycles * 1e6 / CostTable.Default.FrequencyHz, 3),
                Per(full.Syscalls - zero.Syscalls), Per(full.Faults - zero.Faults), Per(full.Switches - zero.Switches),
                TlbiOpExtensions.All.Where(op => full.Counters.Tlbi(op) > zero.Counters.Tlbi(op))
                    .ToDictionary(op => op.Mnemonic(), op => Per(full.Counters.Tlbi(op) - zero.Counters.Tlbi(op))),
                Enum.GetValues<X86Flush>().Where(op => full.Counters.X86Invalidations(op) > zero.Counters.X86Invalidations(op))
                    .ToDictionary(RunReport.X86FlushName, op => Per(full.Counters.X86Invalidations(op) - zero.Counters.X86Invalidations(op))),
                Per(full.Counters.IpisSent - zero.Counters.IpisSent),
                check?.Iterations, check?.Violations);
        }

        public void Print(TextWriter w)
        {
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            w.WriteLine($"forkexit: {Iterations:N0} x (fork, child writes {Pages} copy-on-write pages, exit, wait) by /usr/bin/forkbench on {Cpus} {Arch} CPU{(Cpus == 1 ? "" : "s")}, exit path {ExitPath}");
            w.WriteLine($"  host:      {LoopsPerHostSecond:N0} loops per host second ({HostMicrosecondsPerLoop:F2} us each), checker off");
            w.WriteLine($"  host heap: {HostBytesPerLoop:N0} bytes allocated per loop (the new process's objects: proc, maps, frames)");
            w.WriteLine($"  simulated: {SimulatedCyclesPerLoop:N0} cycles per loop ({SimulatedMicrosecondsPerLoop:F2} us at {CostTable.Default.FrequencyHz / 1e9:F1} GHz) on the busiest CPU");
            w.WriteLine($"  per loop:  {SyscallsPerLoop.ToString("0.##", inv)} system calls, {FaultsPerLoop.ToString("0.##", inv)} page faults, "
                + $"{SwitchesPerLoop.ToString("0.##", inv)} context switches, " + string.Join(", ", TlbiPerLoop.Select(kv => $"TLBI {kv.Key.ToUpperInvariant()} {kv.Value.ToString("0.##", inv)}")
                    .Concat(X86InvalidationsPerLoop.Select(kv => $"{X86Name(kv.Key)} {kv.Value.ToString("0.##", inv)}"))
                    .Concat(Arch == "amd64" ? [$"IPIs {IpisPerLoop.ToString("0.##", inv)}"] : [])));
            w.WriteLine(CheckedIterations is { } c
                ? $"  checked:   {c:N0} loops run again with the TLB coherence checker: {CheckedViolations} violations, 0 frames and 0 {(Arch == "amd64" ? "PCIDs" : "ASIDs")} leaked"
                : "  checked:   no (--no-check)");
        }
    }
}
