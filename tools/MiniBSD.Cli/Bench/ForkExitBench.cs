using System.Diagnostics;
using MiniBSD.Cli.Boot;
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
/// minus a run of 0 loops, after a warm-up) and the simulated cost of one loop.
/// </summary>
public static class ForkExitBench
{
    /// <summary>The same loop on the host's Linux kernel, measured on this machine (docs/BENCHMARKS.md).</summary>
    public const double HostLinuxPerSecond = 3_300;

    /// <summary>The issue's target: 20 times the host kernel.</summary>
    public const double TargetPerSecond = 66_000;

    /// <param name="HostBytes">Bytes the host heap gave out during the run (the kernel's new processes, maps, frames).</param>
    public sealed record Result(int Iterations, double HostSeconds, long HostBytes, long Cycles, CpuCounters Counters, long Syscalls, long Switches, long Faults, bool Clean)
    {
        public double PerSecond => Iterations / HostSeconds;
    }

    public static int Run(SystemOptions o, int pages, int iterations, TextWriter stdout, TextWriter stderr)
    {
        if (pages is < 0 or > 4096 || iterations < 1)
        {
            stderr.WriteLine($"minibsd bench forkexit: {(iterations < 1 ? $"--iterations {iterations}: must be 1 or more" : $"--pages {pages}: must be 0 to 4096")}");
            return 2;
        }
        if (SystemCommand.Configure(o, "bench forkexit", stderr) is null) return 2;
        Measure(o, pages, Math.Min(iterations, 20_000));   // warm-up: tiered JIT reaches its optimised code
        var zero = Measure(o, pages, 0);
        var full = Measure(o, pages, iterations);
        if (!zero.Clean || !full.Clean)
        {
            stderr.WriteLine("minibsd bench forkexit: the run did not halt cleanly (a leak or a TLB coherence violation)");
            return 1;
        }
        double seconds = full.HostSeconds - zero.HostSeconds;
        double rate = iterations / seconds;
        double cycles = (double)(full.Cycles - zero.Cycles) / iterations;
        double hz = Hal.Cost.CostTable.Default.FrequencyHz;
        stdout.WriteLine($"forkexit: {iterations:N0} x (fork, child writes {pages} copy-on-write pages, exit, wait) by /usr/bin/forkbench on {o.Cpus} CPU{(o.Cpus == 1 ? "" : "s")}");
        stdout.WriteLine($"  host:      {rate:N0} loops per host second ({seconds * 1e6 / iterations:F2} us each); target {TargetPerSecond:N0}/s "
            + $"({(rate >= TargetPerSecond ? "met" : "not met")}); the host's Linux does about {HostLinuxPerSecond:N0}/s, {rate / HostLinuxPerSecond:F1}x that");
        stdout.WriteLine($"  host heap: {(full.HostBytes - zero.HostBytes) / (double)iterations:N0} bytes allocated per loop (the new process's objects: proc, maps, frames)");
        stdout.WriteLine($"  simulated: {cycles:N0} cycles per loop ({cycles * 1e6 / hz:F2} us at {hz / 1e9:F1} GHz) on the busiest CPU");
        stdout.WriteLine($"  per loop:  {Per(full.Syscalls - zero.Syscalls, iterations)} system calls, {Per(full.Faults - zero.Faults, iterations)} page faults, "
            + $"{Per(full.Switches - zero.Switches, iterations)} context switches, " + string.Join(", ", TlbiOpExtensions.All
                .Where(op => full.Counters.Tlbi(op) > zero.Counters.Tlbi(op))
                .Select(op => $"TLBI {op.Mnemonic().ToUpperInvariant()} {Per(full.Counters.Tlbi(op) - zero.Counters.Tlbi(op), iterations)}")));
        return 0;
    }

    private static string Per(long total, int n) => (total / (double)n).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);

    private static Result Measure(SystemOptions o, int pages, int iterations)
    {
        var config = SystemCommand.Configure(o with { Check = false }, "bench forkexit", TextWriter.Null)!;
        var machine = new Machine(config);
        var kernel = new InitMain(machine, Rootfs.Create($"forkbench {iterations} {pages}\n"), new KernelOptions(o.Seed, o.MaxProc, ExitPath: o.ExitPath));
        machine.Console.Sink = TextWriter.Null;
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        kernel.Start();
        kernel.Run();
        double seconds = clock.Elapsed.TotalSeconds;
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        bool clean = kernel.Halted && kernel.HaltStatus == 0 && kernel.LeakedFrames().All(kv => kv.Value == 0) && kernel.LeakedAsids == 0;
        return new Result(iterations, seconds, allocated, machine.Cpus.Max(c => c.Clock), machine.TotalCounters(), kernel.SyscallCount,
            kernel.Sched.ContextSwitches, kernel.Uvm.Exp.Faults, clean);
    }
}
