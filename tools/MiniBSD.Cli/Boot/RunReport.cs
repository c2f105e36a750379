using System.Text.Json;
using System.Text.Json.Serialization;
using MiniBSD.Hal;
using MiniBSD.Hal.Tlb;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Cli.Boot;

/// <summary>
/// What one run measured (issue #5's list), as the summary prints it and as JSON (<c>--json FILE</c>, and each cell of
/// <c>bench exit</c>). Times are simulated cycles, with microseconds beside the ones people compare.
/// </summary>
public sealed record RunReport(
    string Workload,
    string Arch,
    string ExitPath,
    int Cpus,
    int Seed,
    bool Halted,
    string End,
    int Status,
    long FrequencyHz,
    long SimulatedCycles,
    double SimulatedMs,
    long Processes,
    long Execs,
    RunReport.TimeFigures Time,
    long Syscalls,
    long ContextSwitches,
    long Steals,
    RunReport.ExitFigures Exit,
    RunReport.LockFigures KernelLock,
    IReadOnlyDictionary<string, long> Tlbi,
    IReadOnlyDictionary<string, long> X86Invalidations,
    long IpisSent,
    long PagesFreed,
    RunReport.FreePathFigures FreePath,
    RunReport.BroadcastFigures Broadcasts,
    IReadOnlyList<RunReport.CpuFigures> PerCpu,
    long LeakedFrames,
    int LeakedAsids,
    int CoherenceViolations,
    IReadOnlyList<string> FirstViolations,
    string TraceHash,
    string? Failure = null)
{
    /// <summary>The mechanism this run turned off (--ablate), or "none".</summary>
    public string Ablated { get; init; } = "none";

    /// <summary>The shell variables bench exit set for this run (--set, --sweep), "NAME=VALUE ..."; "" for none.</summary>
    public string Params { get; init; } = "";

    /// <summary>Whether the run failed (see <see cref="Failure"/>, which says why; null for a run that did what it should).</summary>
    [JsonIgnore]
    public bool Failed => Failure is not null;

    /// <param name="LatencyMeanUs">Exit latency: exit1's entry to the parent's wait4 returning the zombie's status.</param>
    /// <param name="LatencyPartsMeanUs">Its mean in four parts that add up to it: exit1 (to exit2), on deadproc, the reaper's service, the wakeup to wait4.</param>
    /// <param name="DeadListSeries">(cycle, length) at most 200 points, evenly picked from every change.</param>
    /// <param name="Processes">Per collected process: pid, command, exit1's CPU and time, teardown cycles in exit1 and in the reaper, latency (cycles).</param>
    public sealed record ExitFigures(
        long Exits,
        int Collected,
        double LatencyMeanUs,
        double LatencyMedianUs,
        double LatencyP99Us,
        double LatencyMaxUs,
        LatencyParts LatencyPartsMeanUs,
        long Exit1TeardownCycles,
        long ReaperTeardownCycles,
        long ReaperBusyCycles,
        long ReaperLockCycles,
        long ReaperZombieCycles,
        long FramesFreedInExit1,
        long FramesFreedByReaper,
        int DeadListMax,
        double DeadListMean,
        IReadOnlyList<long[]> DeadListSeries,
        IReadOnlyList<ProcessExit> Processes);

    /// <summary>
    /// Time as OpenBSD accounts it (ms). <c>time(1)</c>'s user and sys are statclock's ticks over stathz, summed over
    /// every process init waited for (each one's ps_ru holds the children it waited for: make covers sh and cc) and init
    /// itself; spinning is the spinner's sys. The exact figures count the same processes' cycles. Apart, in neither:
    /// what exit1 does after its tuagg_add_process (fdfree, uvm_purge: OpenBSD adds it to ps_tu only after ps_ru was
    /// made), the reaper (a kernel thread), and interrupt handlers.
    /// </summary>
    public sealed record TimeFigures(
        double RealMs,
        double UserMs,
        double SysMs,
        long UTicks,
        long STicks,
        double UserExactMs,
        double SysExactMs,
        double SpinMs,
        double Exit1UnseenMs,
        double ReaperMs,
        double InterruptMs,
        double BusyCpus)
    {
        /// <summary>Below this many ticks the time(1) figures mean little: tables and ratios use the exact cycles instead.</summary>
        public const int MinTicks = 200;

        /// <summary>Whether enough statclock ticks fell for time(1)'s figures to stand for the run.</summary>
        public bool Sampled => UTicks + STicks >= MinTicks;

        /// <summary>user : sys, from the ticks as time(1) shows them, or from the exact cycles in a run too short for ticks.</summary>
        public double UserToSys => Sampled ? (STicks == 0 ? 0 : (double)UTicks / STicks) : SysExactMs > 0 ? UserExactMs / SysExactMs : 0;
    }

    /// <summary>The exit latency's mean parts (µs).</summary>
    public sealed record LatencyParts(double InExit1, double OnDeadproc, double InReaper, double ToWait4);

    public sealed record LockFigures(long Acquisitions, long Contended, long HoldCycles, long WaitCycles);

    /// <summary>How broadcast TLBIs were priced (mesh or linear) and, in the mesh model, how many waited for others in flight.</summary>
    public sealed record BroadcastFigures(string Model, long Waits, long WaitCycles);

    /// <summary>The page allocator's free path: pmemrange runs inserted, uvm.fpageqlock, the per-CPU magazines, free segments at the end.</summary>
    public sealed record FreePathFigures(bool PerCpuCache, long RunsFreed, LockFigures FpageqLock, long CacheHits, long CacheMisses, long Segments);

    public sealed record CpuFigures(int Cpu, long Cycles, double BusyPercent);

    /// <summary>How a run ended, as <see cref="End"/> names it.</summary>
    public static string EndName(RunEnd end) => end switch
    {
        RunEnd.Halted => "halted",
        RunEnd.TimeLimit => "time-limit",
        RunEnd.Stalled => "stalled",
        _ => "host-memory-guard",
    };

    public static RunReport From(InitMain k, string workload, RunEnd how)
    {
        var m = k.Machine;
        long hz = m.Costs.FrequencyHz;
        long end = m.Cpus.Max(c => c.Clock);
        var total = m.TotalCounters();
        var lk = k.Exit.KernelLock;
        var leaked = k.Halted ? k.LeakedFrames().Values.Sum(v => Math.Abs(v)) : 0;
        return new RunReport(workload, m.Config.Arch.Name(), k.Options.ExitPath.Name(), m.Cpus.Count, k.Options.Seed, k.Halted, EndName(how), k.HaltStatus, hz, end,
            end * 1000.0 / hz, k.Fork.Forks + 1, k.Exec.Execs, Times(k, end), k.SyscallCount, k.Sched.ContextSwitches, k.Sched.Steals, Exits(k.Exit.Stats, end, hz),
            new LockFigures(lk.Acquisitions, lk.Contended, lk.HoldCycles, lk.WaitCycles),
            TlbiOpExtensions.All.Where(op => total.Tlbi(op) > 0).ToDictionary(op => op.Mnemonic(), op => total.Tlbi(op)),
            Enum.GetValues<X86Flush>().Where(op => total.X86Invalidations(op) > 0).ToDictionary(X86FlushName, op => total.X86Invalidations(op)),
            total.IpisSent,
            k.Pages.Frees,
            new FreePathFigures(k.Pages.PerCpuCache, k.Pages.RunsFreed, new LockFigures(k.Pages.FpageqLock.Acquisitions, k.Pages.FpageqLock.Contended,
                k.Pages.FpageqLock.HoldCycles, k.Pages.FpageqLock.SpinCycles), k.Pages.CacheHits, k.Pages.CacheMisses, k.Pages.Segments),
            new BroadcastFigures(m.Config.TlbiModel == TlbiModel.Mesh ? "mesh" : "linear", m.DvmWaits, m.DvmWaitCycles),
            m.Cpus.Select(c => new CpuFigures(c.Id, c.Clock, end == 0 ? 0 : Math.Round(100.0 * (c.Clock - k.Sched.IdleCycles(c)) / end, 2))).ToList(),
            leaked, k.Halted ? k.LeakedAsids : 0, m.Checker.Violations.Count, m.Checker.Violations.Take(5).Select(v => v.ToString()).ToList(),
            $"{k.Sched.TraceHash:x16}");
    }

    private static TimeFigures Times(InitMain k, long end)
    {
        var m = k.Machine;
        foreach (var cpu in m.Cpus) k.Sched.StatClock.Flush(cpu);   // charge every CPU up to its clock
        var init = k.Init;
        var tu = init is null ? default : init.ChildUsage + init.Usage + (init.MainThread?.Usage ?? default);
        double hz = m.Costs.FrequencyHz, ms = 1000.0 / hz;
        long interrupts = m.Cpus.Sum(c => k.Sched.StatClock.CpCycles(c)[(int)CpState.Intr]);
        var unseen = k.Exit.Stats.UnseenByParents;
        var reaper = k.Exit.ReaperUsage;
        return new TimeFigures(end * ms, tu.UTicks * 1000.0 / StatClock.Stathz, tu.STicks * 1000.0 / StatClock.Stathz, tu.UTicks, tu.STicks,
            tu.UserCycles * ms, tu.SysCycles * ms, tu.SpinCycles * ms, (unseen.UserCycles + unseen.SysCycles) * ms,
            (reaper.UserCycles + reaper.SysCycles) * ms, interrupts * ms, end == 0 ? 0 : Math.Round((double)(tu.UserCycles + tu.SysCycles) / end, 3));
    }

    /// <summary>The instruction an x86 invalidation kind stands for, as the JSON names it.</summary>
    public static string X86FlushName(X86Flush op) => op switch
    {
        X86Flush.Invlpg => "invlpg",
        X86Flush.InvpcidAddress => "invpcid0",
        X86Flush.InvpcidSingle => "invpcid1",
        X86Flush.InvpcidAllGlobal => "invpcid2",
        _ => "invpcid3",
    };

    private static ExitFigures Exits(ExitStats s, long end, long hz)
    {
        var sorted = s.Latencies.Order().ToArray();
        double Us(double cycles) => Math.Round(cycles * 1e6 / hz, 3);
        double Pct(double q) => sorted.Length == 0 ? 0 : Us(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)]);
        var dead = s.DeadList;
        int step = Math.Max(1, (dead.Count + 199) / 200);
        var series = dead.Where((_, i) => i % step == 0 || i == dead.Count - 1).Select(d => new[] { d.Time, (long)d.Length }).ToList();
        var p = s.LatencyParts;
        double Mean(long total) => sorted.Length == 0 ? 0 : Us((double)total / sorted.Length);
        return new ExitFigures(s.Exits, sorted.Length, sorted.Length == 0 ? 0 : Us(sorted.Average()), Pct(0.5), Pct(0.99),
            sorted.Length == 0 ? 0 : Us(sorted[^1]), new LatencyParts(Mean(p.InExit1), Mean(p.OnDeadproc), Mean(p.InReaper), Mean(p.ToWait4)), s.Exit1TeardownCycles, s.ReaperTeardownCycles, s.ReaperBusyCycles, s.ReaperLockCycles, s.ReaperZombieCycles,
            s.FramesFreedInExit1, s.FramesFreedByReaper, s.MaxDeadList, Math.Round(s.MeanDeadList(end), 3), series, s.Processes);
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static string ToJson(IReadOnlyList<RunReport> reports) => JsonSerializer.Serialize(reports, Json);

    /// <summary>The exit-path lines of the summary.</summary>
    public void PrintExitPath(TextWriter w)
    {
        var e = Exit;
        var t = Time;
        w.WriteLine($"  time(1) of every process init waited for: real {t.RealMs:F3} ms, user {t.UserMs:F0} ms, sys {t.SysMs:F0} ms ({t.UTicks:N0} and {t.STicks:N0} statclock ticks at {StatClock.Stathz} Hz)");
        w.WriteLine($"    exactly: user {t.UserExactMs:F3} ms, sys {t.SysExactMs:F3} ms (of it spinning {t.SpinMs:F3}), user : sys {t.UserToSys:F2}, {t.BusyCpus:F2} CPUs busy on average");
        w.WriteLine($"    in no time(1): exit1 after its tuagg {t.Exit1UnseenMs:F3} ms, the reaper {t.ReaperMs:F3} ms, interrupts {t.InterruptMs:F3} ms");
        string same = Arch == "amd64" && ExitPath == Kernel.Kern.ExitPath.PurgeUnordered.Name() ? " (on amd64 the same as purge: no pmap_purge to leave out)" : "";
        w.WriteLine($"  exit path {ExitPath}{same}: {e.Exits:N0} exits; latency (exit1 to wait4) mean {e.LatencyMeanUs:F2} us, median {e.LatencyMedianUs:F2}, p99 {e.LatencyP99Us:F2}, max {e.LatencyMaxUs:F2} ({e.Collected:N0} collected)");
        var lp = e.LatencyPartsMeanUs;
        w.WriteLine($"    latency's parts (mean): exit1 {lp.InExit1:F2} us, on deadproc {lp.OnDeadproc:F2}, the reaper's service {lp.InReaper:F2}, the wakeup to wait4 {lp.ToWait4:F2}");
        w.WriteLine($"    teardown: {Us(e.Exit1TeardownCycles)} in exit1 ({e.FramesFreedInExit1:N0} frames), {Us(e.ReaperTeardownCycles)} in the reaper ({e.FramesFreedByReaper:N0} frames); reaper busy {Us(e.ReaperBusyCycles)} (uvm_exit {Us(e.ReaperTeardownCycles)}, KERNEL_LOCK {Us(e.ReaperLockCycles)}, the zombie step {Us(e.ReaperZombieCycles)})");
        w.WriteLine($"    deadproc: at most {e.DeadListMax} waiting, {e.DeadListMean:F3} on average; {PagesFreed:N0} pages freed in all");
        if (Arch == "arm64")
            w.WriteLine($"  broadcast TLBIs priced by the {Broadcasts.Model} model{(Broadcasts.Model == "mesh" ? $": {Broadcasts.Waits:N0} waited for broadcasts in flight, {Us(Broadcasts.WaitCycles)} in all" : "")}");
        var f = FreePath;
        string cache = f.PerCpuCache ? $"per-CPU magazines {f.CacheHits:N0} hits, {f.CacheMisses:N0} refills" : "no per-CPU page cache (the kernel before 2024)";
        w.WriteLine($"  free path: {f.RunsFreed:N0} runs into pmemrange; uvm.fpageqlock {f.FpageqLock.Acquisitions:N0} holds ({f.FpageqLock.Contended:N0} contended), held {Us(f.FpageqLock.HoldCycles)}, spun {Us(f.FpageqLock.WaitCycles)}; {cache}; {f.Segments:N0} free segments at the end");
    }

    private string Us(long cycles) => $"{cycles * 1e6 / FrequencyHz:N1} us";
}
