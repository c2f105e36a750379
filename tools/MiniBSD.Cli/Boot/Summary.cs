using MiniBSD.Kernel.Kern;

namespace MiniBSD.Cli.Boot;

/// <summary>The end-of-run summary on stderr: time, processes, faults, TLB, locks, leaks.</summary>
internal static class Summary
{
    /// <summary>Prints it; true when init halted with no frame or ASID leaked and no coherence violation.</summary>
    public static bool Print(InitMain k, RunReport report, TimeSpan host, double limitSeconds, TextWriter w)
    {
        var m = k.Machine;
        long hz = m.Costs.FrequencyHz;
        long end = m.Cpus.Max(c => c.Clock);
        w.WriteLine();
        w.WriteLine(report.End switch
        {
            "halted" => $"minibsd: halted after {Ms(end, hz)} simulated ({end:N0} cycles on the busiest CPU); host {host.TotalSeconds:F2} s",
            "time-limit" => $"minibsd: stopped at the time limit, {limitSeconds:0.###} s simulated (--max-time), before init halted",
            "stalled" => $"minibsd: the system did not halt: every process sleeps and nothing can wake it, after {Ms(end, hz)} simulated",
            _ => $"minibsd: stopped by the host-memory guard: the host held more than {RunLimits.HostLimitBytes(m.Config, 1) >> 20} MiB, "
                + "more than the emulated RAM explains (a MiniBSD bug: please report it with the command line)",
        });
        w.WriteLine($"  scheduler trace hash {report.TraceHash} ({k.Sched.Events:N0} events): the same options and seed give the same hash");
        foreach (var cpu in report.PerCpu)   // busy: of the whole run, so a CPU that ran out of work early counts as idle
            w.WriteLine($"  cpu{cpu.Cpu}: {Ms(cpu.Cycles, hz)}, {cpu.BusyPercent:F1}% busy");
        w.WriteLine($"  processes: {k.Fork.Forks + 1} created (fork), {k.Exec.Execs} execs, {k.SyscallCount:N0} system calls, {k.Sched.ContextSwitches:N0} context switches, {k.Sched.Steals:N0} threads taken by idle CPUs, {k.Sched.Events:N0} scheduler events");
        w.WriteLine($"  uvm: {k.Uvm.Exp.Format()}");
        var total = m.TotalCounters();
        w.Write(total.Format("  "));
        w.WriteLine();
        w.WriteLine($"  {k.Exit.KernelLock}");
        if (k.FailPoints.Injected > 0)
            w.WriteLine($"  fault injection: {k.FailPoints.Injected} failure(s) injected; " + string.Join(", ", FailSiteNames.All
                .Where(s => k.FailPoints.Of(s).Failed > 0).Select(s => $"{s.Name()} {k.FailPoints.Of(s).Failed} of {k.FailPoints.Of(s).Calls} calls")));
        report.PrintExitPath(w);
        var leaked = k.LeakedFrames().Where(kv => kv.Value != 0).ToList();
        w.WriteLine(!k.Halted ? "  leaks: not checked (processes still hold their memory)"
            : $"  leaks: {(leaked.Count == 0 ? "0 frames" : string.Join(", ", leaked.Select(kv => $"{kv.Value} {kv.Key} frames")))}, {k.LeakedAsids} {(k.Machine.Config.Arch == MiniBSD.Hal.Arch.Amd64 ? "PCIDs" : "ASIDs")}");
        w.WriteLine($"  TLB coherence checker: {(m.Checker.Enabled ? $"{m.Checker.Violations.Count} violation(s)" : "off (--no-check)")}");
        foreach (var v in m.Checker.Violations.Take(5)) w.WriteLine($"    {v}");
        if (!k.Halted)
        {
            w.WriteLine($"  processes still alive: {k.Procs.All.Count()}");
            foreach (var pr in k.Procs.All.Take(50)) w.WriteLine($"    pid {pr.Pid} ({pr.Command}) {pr.MainThread?.State}");
        }
        return k.Halted && leaked.Count == 0 && k.LeakedAsids == 0 && m.Checker.Violations.Count == 0;
    }

    private static string Ms(long cycles, long hz) => $"{cycles * 1000.0 / hz:F3} ms";
}
