using System.Diagnostics;
using System.Globalization;
using MiniBSD.Cli.Boot;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Cli.Bench;

/// <summary>
/// <c>minibsd bench exit</c>: a workload under each exit path at each CPU count (and each seed), every run a whole
/// deterministic MiniBSD, the runs spread over the host's cores. Writes a Markdown table, the JSON of every run and an
/// SVG plot (simulated time and exit latency against CPU count, one line a path) into the output folder.
/// </summary>
public static class ExitBench
{
    public sealed record Matrix(string Workload, string Script, IReadOnlyList<int> Cpus, IReadOnlyList<ExitPath> Paths, IReadOnlyList<int> Seeds);

    public static int Run(SystemOptions o, string workload, string cpus, string paths, string seeds, string outDir, TextWriter stdout, TextWriter stderr)
    {
        if (Parse(workload, cpus, paths, seeds, out string? problem) is not { } matrix)
        {
            stderr.WriteLine($"minibsd bench exit: {problem}");
            return 2;
        }
        if (SystemCommand.Configure(o with { Cpus = matrix.Cpus.Max() }, "bench exit", stderr) is null) return 2;
        try { Directory.CreateDirectory(outDir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"minibsd bench exit: --out {outDir}: {e.Message}");
            return 2;
        }
        IReadOnlyList<RunReport> reports;
        try { reports = RunAll(o, matrix, stderr); }
        catch (AggregateException e)
        {
            foreach (var inner in e.InnerExceptions) stderr.WriteLine($"minibsd bench exit: {inner.Message}");
            return 1;
        }
        var bad = reports.Where(r => !r.Halted || r.Status != 0 || r.LeakedFrames != 0 || r.LeakedAsids != 0
            || (r.CoherenceViolations > 0) != (r.ExitPath == ExitPath.PurgeBroken.Name() && o.Check)).ToList();
        string table = ExitTables.Markdown(matrix, reports, o.Check);
        stdout.Write(table);
        string stem = Path.Combine(outDir, $"exit-{matrix.Workload}");
        bool written = SystemCommand.WriteAtomically(stem + ".md", table, "bench exit", stderr)
            && SystemCommand.WriteAtomically(stem + ".json", RunReport.ToJson(reports) + "\n", "bench exit", stderr)
            && SystemCommand.WriteAtomically(stem + ".svg", ExitPlot.Svg(matrix, reports), "bench exit", stderr);
        if (!written) return 2;
        stderr.WriteLine($"minibsd bench exit: wrote {stem}.md, .json and .svg");
        foreach (var r in bad)
            stderr.WriteLine($"minibsd bench exit: {r.ExitPath} on {r.Cpus} CPUs, seed {r.Seed}: "
                + (!r.Halted ? "did not halt" : r.Status != 0 ? $"the workload exited {r.Status}" : r.LeakedFrames + r.LeakedAsids != 0 ? "leaked"
                    : r.CoherenceViolations > 0 ? $"{r.CoherenceViolations} coherence violations" : "the checker caught nothing"));
        return bad.Count == 0 ? 0 : 1;
    }

    public static Matrix? Parse(string workload, string cpus, string paths, string seeds, out string? problem)
    {
        problem = null;
        if (Workloads.Load(workload, out string name, out problem) is not { } script) return null;
        var cpuList = Numbers(cpus, "--cpus", 1, 64, ref problem);
        var seedList = Numbers(seeds, "--seeds", 0, int.MaxValue, ref problem);
        var pathList = new List<ExitPath>();
        foreach (var p in paths.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (ExitPathNames.TryParse(p, out var path)) pathList.Add(path);
            else problem ??= $"--exit-path {p}: not one of {string.Join(", ", ExitPathNames.All.Select(x => x.Name()))}";
        }
        if (pathList.Count == 0) problem ??= "--exit-path: give at least one";
        return problem is null ? new Matrix(name, script, cpuList.Distinct().Order().ToList(), pathList.Distinct().ToList(), seedList.Distinct().ToList()) : null;
    }

    private static List<int> Numbers(string list, string option, int min, int max, ref string? problem)
    {
        var result = new List<int>();
        foreach (var item in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max) result.Add(n);
            else problem ??= $"{option} {item}: must be a number from {min} to {max}";
        }
        if (result.Count == 0) problem ??= $"{option}: give at least one";
        return result;
    }

    /// <summary>Every cell of the matrix, in parallel on the host's cores; the reports in matrix order, whatever finished first.</summary>
    public static IReadOnlyList<RunReport> RunAll(SystemOptions o, Matrix m, TextWriter? progress)
    {
        var cells = (from c in m.Cpus from p in m.Paths from s in m.Seeds select (Cpus: c, Path: p, Seed: s)).ToList();
        var reports = new RunReport[cells.Count];
        int done = 0;
        var gate = new object();
        Parallel.For(0, cells.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var (cpus, path, seed) = cells[i];
            var options = o with { Cpus = cpus, ExitPath = path, Seed = seed, Verbose = false, Trace = false, JsonFile = null };
            var clock = Stopwatch.StartNew();
            var config = SystemCommand.Configure(options, "bench exit", TextWriter.Null)!;
            string cell = $"{m.Workload} --exit-path {path.Name()} --cpus {cpus} --seed {seed}";
            try
            {
                var kernel = SystemCommand.Execute(options, config, m.Script, $"/{m.Workload}.sh", TextWriter.Null)
                    ?? throw new InvalidOperationException("the MMU self-check failed");
                reports[i] = RunReport.From(kernel, m.Workload);
            }
            catch (Exception e) when (e is KernelPanicException or InvalidOperationException)
            {
                throw new InvalidOperationException($"{cell}: {e.Message}", e);   // a kernel bug, named with the run that found it
            }
            lock (gate)
            {
                done++;
                progress?.WriteLine($"  [{done}/{cells.Count}] {cell}: "
                    + $"{reports[i].SimulatedMs:F3} ms simulated, {clock.Elapsed.TotalSeconds:F1} s host");
            }
        });
        return reports;
    }
}
