using System.Globalization;
using System.Text;
using MiniBSD.Cli.Boot;
using MiniBSD.Hal;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Cli.Bench;

/// <summary>The Markdown of <c>bench exit</c>: time and latency by CPU count and path, then what each run did.</summary>
public static class ExitTables
{
    public static string Markdown(ExitBench.Matrix m, IReadOnlyList<RunReport> reports, bool checkerOn)
    {
        var t = new StringBuilder();
        string seeds = m.Seeds.Count == 1 ? $"seed {m.Seeds[0]}" : $"mean ± 95 % interval over seeds {string.Join(", ", m.Seeds)}";
        int failed = reports.Count(r => r.Failed);
        if (failed > 0) t.Append(Inv($"**{failed} of {reports.Count} runs FAILED**: their cells say \"failed\" and give no figure; the last table says why.\n\n"));
        foreach (var value in m.SweepValues)
        foreach (var off in m.Ablations)
        foreach (var arch in m.Archs)
        {
            string on = (m.Archs.Count > 1 ? $" on {arch.Name()}" : "") + (off is { } x ? $", {x.Name()} off" : m.Ablations.Count > 1 ? ", the whole model" : "")
                + (m.SweepName.Length > 0 ? $", {m.SweepName}={value}" : "");
            string ablated = off?.Name() ?? "none", param = m.ParamsFor(value);
            var mine = reports.Where(r => r.Arch == arch.Name() && r.Ablated == ablated && r.Params == param).ToList();
            t.Append(Inv($"### {m.Workload}{on}: simulated time to the halt (ms; {seeds})\n\n"));
            Grid(t, m, mine, r => r.SimulatedMs, "F3", comparePurgeToReaper: true);
            TimeGrids(t, m, mine, on, seeds);
            t.Append(Inv($"\n### {m.Workload}{on}: exit latency, exit1 to the parent's wait4 (µs, each run's mean; {seeds})\n\n"));
            Grid(t, m, mine, r => r.Exit.LatencyMeanUs, "F2", comparePurgeToReaper: true);
            t.Append('\n');
        }
        if (m.Ablations.Count > 1) Ablations(t, m, reports.Where(r => r.Params == m.ParamsFor(m.SweepValues[0])).ToList());
        if (m.SweepName.Length > 0) Sweep(t, m, reports.Where(r => r.Ablated == "none").ToList());
        if (m.Archs.Contains(Arch.Amd64) && m.Paths.Contains(ExitPath.PurgeUnordered))
            t.Append("On amd64 purge-unordered is the same path as purge: amd64 has no pmap_purge (no __HAVE_PMAP_PURGE) to leave out.\n\n");
        t.Append(Inv($"### {m.Workload}: the exit latency's parts (mean µs): exit1, on deadproc, the reaper's service, the wakeup to wait4\n\n"));
        t.Append("| arch | CPUs | exit path | seed | exit1 | on deadproc | reaper | wakeup | latency |\n|---|---:|---|---:|---:|---:|---:|---:|---:|\n");
        foreach (var r in reports)
        {
            var p = r.Exit.LatencyPartsMeanUs;
            t.Append(r.Failed ? Inv($"| {r.Arch} | {r.Cpus} | {r.ExitPath} | {r.Seed} | failed | | | | |\n")
                : Inv($"| {r.Arch} | {r.Cpus} | {r.ExitPath} | {r.Seed} | {p.InExit1:F2} | {p.OnDeadproc:F2} | {p.InReaper:F2} | {p.ToWait4:F2} | {r.Exit.LatencyMeanUs:F2} |\n"));
        }
        t.Append('\n');
        t.Append(Inv($"### {m.Workload}: what each run did\n\n"));
        t.Append("| arch | CPUs | exit path | seed | exits | TLBI VAE1IS | TLBI ASIDE1IS | INVLPG + INVPCID | IPIs | teardown in exit1 (µs) | reaper busy (µs) | deadproc max | switches | kernel_lock wait (µs) | busy CPU % | checker | result |\n");
        t.Append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
        foreach (var r in reports)
        {
            double us(long cycles) => cycles * 1e6 / r.FrequencyHz;
            double busy = r.PerCpu.Average(c => c.BusyPercent);
            string checker = !checkerOn ? "off" : r.CoherenceViolations == 0 ? "clean" : $"{r.CoherenceViolations} violations";
            t.Append(Inv($"| {r.Arch} | {r.Cpus} | {r.ExitPath} | {r.Seed} | {r.Exit.Exits:N0} | {r.Tlbi.GetValueOrDefault("vae1is"):N0} | {r.Tlbi.GetValueOrDefault("aside1is"):N0} | "));
            t.Append(Inv($"{r.X86Invalidations.Values.Sum():N0} | {r.IpisSent:N0} | "));
            t.Append(Inv($"{us(r.Exit.Exit1TeardownCycles):N1} | {us(r.Exit.ReaperBusyCycles):N1} | {r.Exit.DeadListMax} | {r.ContextSwitches:N0} | {us(r.KernelLock.WaitCycles):N1} | {busy:F1} | {checker} | {(r.Failed ? $"FAILED: {r.Failure}" : "ok")} |\n"));
        }
        return t.ToString();
    }

    /// <summary>
    /// How much of purge's difference from the reaper (simulated time) each mechanism accounts for: the difference with
    /// the whole model, with the mechanism off, and what turning it off changed.
    /// </summary>
    private static void Ablations(StringBuilder t, ExitBench.Matrix m, IReadOnlyList<RunReport> reports)
    {
        if (!m.Paths.Contains(ExitPath.Purge) || !m.Paths.Contains(ExitPath.Reaper)) return;
        t.Append(Inv($"### {m.Workload}: what each mechanism accounts for (purge vs reaper in simulated time, mean over the seeds)\n\n"));
        t.Append("| arch | CPUs | mechanism off | purge vs reaper, whole model | with it off | its share (points) |\n|---|---:|---|---:|---:|---:|\n");
        double? Diff(Arch a, int cpus, string ablated)
        {
            var cell = (ExitPath p) => reports.Where(r => r.Arch == a.Name() && r.Cpus == cpus && r.Ablated == ablated && r.ExitPath == p.Name() && !r.Failed).ToList();
            var (purge, reaper) = (cell(ExitPath.Purge), cell(ExitPath.Reaper));
            if (purge.Count == 0 || reaper.Count == 0) return null;
            double rp = reaper.Average(r => r.SimulatedMs);
            return rp == 0 ? 0 : 100 * (purge.Average(r => r.SimulatedMs) - rp) / rp;
        }
        foreach (var a in m.Archs)
            foreach (int cpus in m.Cpus)
                foreach (var off in m.Ablations.OfType<Mechanism>())
                {
                    if (Diff(a, cpus, "none") is not { } whole || Diff(a, cpus, off.Name()) is not { } without) continue;
                    t.Append(Inv($"| {a.Name()} | {cpus} | {off.Name()} | {whole:+0.0;-0.0;0.0} % | {without:+0.0;-0.0;0.0} % | {whole - without:+0.0;-0.0;0.0} |\n"));
                }
        t.Append('\n');
    }

    /// <summary>The sweep: simulated time of purge and reaper, and purge against reaper, by the swept variable's value.</summary>
    private static void Sweep(StringBuilder t, ExitBench.Matrix m, IReadOnlyList<RunReport> reports)
    {
        if (!m.Paths.Contains(ExitPath.Purge) || !m.Paths.Contains(ExitPath.Reaper)) return;
        t.Append(Inv($"### {m.Workload}: purge against reaper by {m.SweepName} (simulated ms, mean over the seeds)\n\n"));
        t.Append(Inv($"| arch | CPUs | {m.SweepName} | purge | reaper | purge vs reaper | teardown in exit1 (µs, purge) | reaper busy (µs, reaper) |\n|---|---:|---:|---:|---:|---:|---:|---:|\n"));
        foreach (var a in m.Archs)
            foreach (int cpus in m.Cpus)
                foreach (var value in m.SweepValues)
                {
                    var cell = (ExitPath p) => reports.Where(r => r.Arch == a.Name() && r.Cpus == cpus && r.Params == m.ParamsFor(value) && r.ExitPath == p.Name() && !r.Failed).ToList();
                    var (purge, reaper) = (cell(ExitPath.Purge), cell(ExitPath.Reaper));
                    if (purge.Count == 0 || reaper.Count == 0) continue;
                    double p = purge.Average(r => r.SimulatedMs), q = reaper.Average(r => r.SimulatedMs);
                    double us(RunReport r, long cycles) => cycles * 1e6 / r.FrequencyHz;
                    t.Append(Inv($"| {a.Name()} | {cpus} | {value} | {p:F3} | {q:F3} | {100 * (p - q) / q:+0.0;-0.0;0.0} % | {purge.Average(r => us(r, r.Exit.Exit1TeardownCycles)):N1} | {reaper.Average(r => us(r, r.Exit.ReaperBusyCycles)):N1} |\n"));
                }
        t.Append('\n');
    }

    /// <summary>A run's user and system time as time(1) shows them: statclock's ticks, or the exact cycles when too few ticks fell to mean anything.</summary>
    public static (double User, double Sys, bool Exact) Time1(RunReport r) =>
        r.Time.Sampled ? (r.Time.UserMs, r.Time.SysMs, false) : (r.Time.UserExactMs, r.Time.SysExactMs, true);

    /// <summary>The seed's kernel build (8 cores / 16 threads amd64): real, user and sys before the diff (s), and the changes it measured.</summary>
    private const string SeedLine = "the seed (a kernel build, 8-core/16-thread amd64): real 136.93 s, user 544.57 s, sys 280.55 s before the diff (user : sys 1.94, 6.03 CPUs busy); with it real -7 to -8 %, user -1 to -2 %, sys -8.5 to -11 %";

    private static void TimeGrids(StringBuilder t, ExitBench.Matrix m, IReadOnlyList<RunReport> reports, string on, string seeds)
    {
        bool exact = reports.Any(r => !r.Failed && Time1(r).Exact);
        string how = exact ? $"exact cycles: fewer than {RunReport.TimeFigures.MinTicks} statclock ticks fell in some runs" : "statclock ticks at 100 Hz, as time(1) shows them";
        t.Append(Inv($"\n### {m.Workload}{on}: user time of every process init waited for (ms; {how}; {seeds})\n\n"));
        Grid(t, m, reports, r => Time1(r).User, "F2", comparePurgeToReaper: true);
        t.Append(Inv($"\n### {m.Workload}{on}: system time, spinning included (ms; {how}; {seeds})\n\n"));
        Grid(t, m, reports, r => Time1(r).Sys, "F2", comparePurgeToReaper: true);
        t.Append(Inv($"\n### {m.Workload}{on}: user : sys, and CPUs busy with what time(1) counts ({seeds})\n\n"));
        t.Append("| CPUs | exit path | user : sys | busy CPUs | in no time(1): exit1 after tuagg (ms) | the reaper (ms) | interrupts (ms) |\n|---:|---|---:|---:|---:|---:|---:|\n");
        foreach (int cpus in m.Cpus)
            foreach (var p in m.Paths)
            {
                var cell = reports.Where(r => r.Cpus == cpus && r.ExitPath == p.Name() && !r.Failed).ToList();
                if (cell.Count == 0) continue;
                string I(Func<RunReport, double> f, string format) => Interval(cell.Select(f).ToList(), format);
                t.Append(Inv($"| {cpus} | {p.Name()} | {I(r => r.Time.UserToSys, "F2")} | {I(r => r.Time.BusyCpus, "F2")} | {I(r => r.Time.Exit1UnseenMs, "F3")} | {I(r => r.Time.ReaperMs, "F3")} | {I(r => r.Time.InterruptMs, "F3")} |\n"));
            }
        t.Append(Inv($"\nBeside {SeedLine}.\n"));
    }

    /// <summary>Rows: CPU counts; columns: exit paths (mean over seeds); and purge against reaper when both ran.</summary>
    private static void Grid(StringBuilder t, ExitBench.Matrix m, IReadOnlyList<RunReport> reports, Func<RunReport, double> value, string format, bool comparePurgeToReaper)
    {
        bool compare = comparePurgeToReaper && m.Paths.Contains(ExitPath.Purge) && m.Paths.Contains(ExitPath.Reaper);
        t.Append("| CPUs | ").Append(string.Join(" | ", m.Paths.Select(p => p.Name()))).Append(compare ? " | purge vs reaper |\n" : " |\n");
        t.Append("|---:|").Append(string.Concat(m.Paths.Select(_ => "---:|"))).Append(compare ? "---:|\n" : "\n");
        foreach (int cpus in m.Cpus)
        {
            var cell = (ExitPath p) => reports.Where(r => r.Cpus == cpus && r.ExitPath == p.Name()).ToList();
            double Mean(ExitPath p) => cell(p).Average(value);
            bool Failed(ExitPath p) => cell(p).Any(r => r.Failed);
            t.Append(Inv($"| {cpus} | ")).Append(string.Join(" | ", m.Paths.Select(p => Failed(p) ? "failed" : Interval(cell(p).Select(value).ToList(), format))));
            if (compare && (Failed(ExitPath.Purge) || Failed(ExitPath.Reaper))) t.Append(" | failed");
            else if (compare)
            {
                double purge = Mean(ExitPath.Purge), reaper = Mean(ExitPath.Reaper);
                t.Append(Inv($" | {(reaper == 0 ? 0 : 100 * (purge - reaper) / reaper):+0.0;-0.0;0.0} %"));
            }
            t.Append(" |\n");
        }
    }

    /// <summary>
    /// The mean, and with several seeds "mean ± h": h is the half-width of the 95 % confidence interval of the mean,
    /// Student's t with n - 1 degrees of freedom times the standard error.
    /// </summary>
    public static string Interval(IReadOnlyList<double> values, string format)
    {
        double mean = values.Average();
        string m = mean.ToString(format, CultureInfo.InvariantCulture);
        if (values.Count < 2) return m;
        double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        double h = StudentT975(values.Count - 1) * sd / Math.Sqrt(values.Count);
        return $"{m} ± {h.ToString(format, CultureInfo.InvariantCulture)}";
    }

    /// <summary>The 97.5th percentile of Student's t (two-sided 95 %) by degrees of freedom, from the standard table.</summary>
    private static double StudentT975(int df) => df <= 30 ? T975[df - 1] : df <= 60 ? 2.000 : df <= 120 ? 1.980 : 1.960;

    private static readonly double[] T975 =
    [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
