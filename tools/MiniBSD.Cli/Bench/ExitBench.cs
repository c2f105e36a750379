using System.Diagnostics;
using System.Globalization;
using MiniBSD.Cli.Boot;
using MiniBSD.Cli.Host;
using MiniBSD.Hal;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Cli.Bench;

/// <summary>
/// <c>minibsd bench exit</c>: a workload under each exit path at each CPU count (and each seed), every run a whole
/// deterministic MiniBSD, the runs spread over the host's cores. Writes a Markdown table, the JSON of every run and an
/// SVG plot (simulated time and exit latency against CPU count, one line a path) into the output folder.
/// </summary>
public static class ExitBench
{
    public sealed record Matrix(string Workload, string Script, IReadOnlyList<int> Cpus, IReadOnlyList<ExitPath> Paths, IReadOnlyList<int> Seeds)
    {
        /// <summary>The architectures, a dimension of its own (arm64 alone unless asked).</summary>
        public IReadOnlyList<Arch> Archs { get; init; } = [Arch.Arm64];

        /// <summary>The whole model (null) and each mechanism turned off on its own.</summary>
        public IReadOnlyList<Mechanism?> Ablations { get; init; } = [null];

        /// <summary>Shell variables set before the workload runs in every cell (--set NAME=VALUE).</summary>
        public IReadOnlyList<(string Name, string Value)> Sets { get; init; } = [];

        /// <summary>A variable whose values are a dimension of the matrix (--sweep NAME=V1,V2,...): "" for none.</summary>
        public string SweepName { get; init; } = "";
        public IReadOnlyList<string> SweepValues { get; init; } = [""];

        /// <summary>The script of a cell: the assignments, then the workload.</summary>
        public string ScriptFor(string sweepValue) =>
            string.Concat(Sets.Select(s => $"{s.Name}={s.Value}\n")) + (SweepName.Length > 0 ? $"{SweepName}={sweepValue}\n" : "") + Script;

        /// <summary>How a report names a cell's parameters ("" without --set or --sweep).</summary>
        public string ParamsFor(string sweepValue) =>
            string.Join(' ', Sets.Select(s => $"{s.Name}={s.Value}").Concat(SweepName.Length > 0 ? [$"{SweepName}={sweepValue}"] : []));
    }

    /// <summary>Parses --set NAME=VALUE and --sweep NAME=V1,V2: a shell variable name, values of letters, digits, '.', '-', '_'.</summary>
    public static bool TryParseAssignment(string text, string option, bool list, out string name, out List<string> values, out string? problem)
    {
        int eq = text.IndexOf('=');
        name = eq < 0 ? "" : text[..eq];
        values = eq < 0 ? [] : text[(eq + 1)..].Split(',', StringSplitOptions.TrimEntries).ToList();
        bool nameOk = name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
        bool valuesOk = values.Count > 0 && (list || values.Count == 1) && values.All(v => v.Length > 0 && v.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'));
        problem = nameOk && valuesOk ? null : $"{option} {text}: give NAME={(list ? "V1,V2,..." : "VALUE")}, NAME a shell variable, each value letters, digits, '.', '-' or '_'";
        return problem is null;
    }

    public static int Run(SystemOptions o, string workload, string cpus, string paths, string seeds, string outDir, TextWriter stdout, TextWriter stderr, string archs = "arm64", string ablate = "",
        IReadOnlyList<string>? sets = null, string? sweep = null)
    {
        if (Parse(workload, cpus, paths, seeds, out string? problem, archs, ablate, sets, sweep) is not { } matrix)
        {
            stderr.WriteLine($"minibsd bench exit: {problem}");
            return 2;
        }
        if (SystemCommand.Configure(o with { Cpus = matrix.Cpus.Max() }, "bench exit", stderr) is null) return 2;
        if (!HostFiles.EnsureDirectory(outDir, out string? error))
        {
            stderr.WriteLine($"minibsd bench exit: --out {error}");
            return 2;
        }
        var reports = RunAll(o, matrix, stderr);
        string table = ExitTables.Markdown(matrix, reports, o.Check);
        stdout.Write(table);
        string stem = Path.Combine(outDir, $"exit-{matrix.Workload}");
        bool written = SystemCommand.WriteOutput(stem + ".md", table, "bench exit", stderr)
            && SystemCommand.WriteOutput(stem + ".json", RunReport.ToJson(reports) + "\n", "bench exit", stderr)
            && SystemCommand.WriteOutput(stem + ".svg", ExitPlot.Svg(matrix, reports), "bench exit", stderr);
        if (!written) return 2;
        stderr.WriteLine($"minibsd bench exit: wrote {stem}.md, .json and .svg");
        var failed = reports.Where(r => r.Failed).ToList();
        foreach (var r in failed) stderr.WriteLine($"minibsd bench exit: FAILED {r.ExitPath} on {r.Cpus} CPUs ({r.Arch}), seed {r.Seed}: {r.Failure}");
        return failed.Count == 0 ? 0 : 1;
    }

    /// <summary>Why a cell failed, or null: it must halt with status 0, leak nothing, and (with the checker on) show
    /// coherence violations exactly when its path is purge-broken.</summary>
    public static string? Failure(RunReport r, bool checkerOn) =>
        r.End != "halted" ? $"did not halt ({r.End})"
        : r.Status != 0 ? $"the workload exited {r.Status}"
        : r.LeakedFrames + r.LeakedAsids != 0 ? $"leaked {r.LeakedFrames} frames and {r.LeakedAsids} ASIDs"
        : checkerOn && r.ExitPath != ExitPath.PurgeBroken.Name() && r.CoherenceViolations > 0 ? $"{r.CoherenceViolations} coherence violations"
        : checkerOn && r.ExitPath == ExitPath.PurgeBroken.Name() && r.CoherenceViolations == 0 ? "the checker caught nothing on purge-broken"
        : null;

    public static Matrix? Parse(string workload, string cpus, string paths, string seeds, out string? problem, string archs = "arm64", string ablate = "",
        IReadOnlyList<string>? sets = null, string? sweep = null)
    {
        if (Workloads.Load(workload, out string name, out problem) is not { } script) return null;
        var ablations = new List<Mechanism?> { null };
        foreach (var a in ablate.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            if (MechanismNames.TryParse(a, out var mech)) ablations.Add(mech);
            else problem ??= $"--ablate {a}: not one of {string.Join(", ", MechanismNames.All.Select(x => x.Name()))}";
        var assignments = new List<(string, string)>();
        foreach (string s in sets ?? [])
            if (TryParseAssignment(s, "--set", list: false, out string n, out var v, out string? p)) assignments.Add((n, v[0]));
            else problem ??= p;
        (string sweepName, List<string> sweepValues) = ("", [""]);
        if (!string.IsNullOrEmpty(sweep))
        {
            if (TryParseAssignment(sweep, "--sweep", list: true, out string n, out var v, out string? p)) (sweepName, sweepValues) = (n, v.Distinct().ToList());
            else problem ??= p;
        }
        // The benchmark builds a full-size kernel (tests and `minibsd run` a tenth of it) unless told otherwise.
        if (name == "build" && sweepName != "OBJECTS" && assignments.All(a => a.Item1 != "OBJECTS"))
            assignments.Add(("OBJECTS", $"{MiniBSD.Userland.KernelMakefile.FullSizeObjects}"));
        var cpuList = Numbers(cpus, "--cpus", 1, 64, ref problem);
        var seedList = Numbers(seeds, "--seeds", 0, int.MaxValue, ref problem);
        var pathList = new List<ExitPath>();
        foreach (var p in paths.Split(',', StringSplitOptions.TrimEntries))
        {
            if (p.Length == 0) problem ??= $"--exit-path '{paths}': an empty item in the list";
            else if (ExitPathNames.TryParse(p, out var path)) pathList.Add(path);
            else problem ??= $"--exit-path {p}: not one of {string.Join(", ", ExitPathNames.All.Select(x => x.Name()))}";
        }
        if (pathList.Count == 0) problem ??= "--exit-path: give at least one";
        var archList = new List<Arch>();
        foreach (var a in archs.Split(',', StringSplitOptions.TrimEntries))
            if (ArchNames.TryParse(a, out var arch)) archList.Add(arch);
            else problem ??= a.Length == 0 ? $"--arch '{archs}': an empty item in the list" : $"--arch {a}: not arm64 or amd64";
        return problem is null
            ? new Matrix(name, script, cpuList.Distinct().Order().ToList(), pathList.Distinct().ToList(), seedList.Distinct().ToList()) { Archs = archList.Distinct().ToList(), Ablations = ablations.Distinct().ToList(), Sets = assignments, SweepName = sweepName, SweepValues = sweepValues }
            : null;
    }

    private static List<int> Numbers(string list, string option, int min, int max, ref string? problem)
    {
        var result = new List<int>();
        foreach (var item in list.Split(',', StringSplitOptions.TrimEntries))
        {
            int dash = item.IndexOf('-', 1 < item.Length ? 1 : 0);
            if (item.Length == 0) problem ??= $"{option} '{list}': an empty item in the list";
            else if (dash > 0 && Number(item[..dash]) is { } lo && Number(item[(dash + 1)..]) is { } hi && lo <= hi && hi - lo < 10_000)
                for (int n = lo; n <= hi; n++) result.Add(n);   // a range such as 1-5
            else if (Number(item) is { } n) result.Add(n);
            else problem ??= $"{option} {item}: must be a number from {min} to {max}, or a range such as {min}-{Math.Min(max, min + 4)}";
        }
        if (result.Count == 0) problem ??= $"{option}: give at least one";
        return result;

        int? Number(string s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max ? n : null;
    }

    /// <summary>
    /// Every cell of the matrix, in parallel on the host's cores; the reports in matrix order, whatever finished
    /// first. A cell whose kernel panics is a failed report (its figures those of the moment it panicked), named in the
    /// progress, not an exception that loses the others.
    /// </summary>
    public static IReadOnlyList<RunReport> RunAll(SystemOptions o, Matrix m, TextWriter? progress)
    {
        var cells = (from v in m.SweepValues from x in m.Ablations from a in m.Archs from c in m.Cpus from p in m.Paths from s in m.Seeds
                     select (Value: v, Off: x, Arch: a, Cpus: c, Path: p, Seed: s)).ToList();
        var reports = new RunReport[cells.Count];
        int done = 0, parallel = Math.Min(Environment.ProcessorCount, cells.Count);
        var gate = new object();
        Parallel.For(0, cells.Count, new ParallelOptions { MaxDegreeOfParallelism = parallel }, i =>
        {
            var (value, off, arch, cpus, path, seed) = cells[i];
            var options = o with { Arch = arch, Cpus = cpus, ExitPath = path, Seed = seed, Verbose = false, Trace = false, JsonFile = null, Ablate = off };
            var clock = Stopwatch.StartNew();
            reports[i] = RunCell(options, m, value, parallel);
            lock (gate)
            {
                done++;
                var r = reports[i];
                progress?.WriteLine($"  [{done}/{cells.Count}] {m.Workload} --arch {arch.Name()} --exit-path {path.Name()} --cpus {cpus} --seed {seed}{(off is { } x ? $" --ablate {x.Name()}" : "")}{(m.SweepName.Length > 0 ? $" {m.SweepName}={value}" : "")}: "
                    + $"{r.SimulatedMs:F3} ms simulated, {clock.Elapsed.TotalSeconds:F1} s host{(r.Failed ? $"; FAILED: {r.Failure}" : "")}");
            }
        });
        return reports;
    }

    private static RunReport RunCell(SystemOptions o, Matrix m, string sweepValue, int parallel)
    {
        var config = SystemCommand.Configure(o, "bench exit", TextWriter.Null)!;
        InitMain? kernel = null;
        try
        {
            kernel = SystemCommand.Execute(o, config, m.ScriptFor(sweepValue), $"/{m.Workload}.sh", Stream.Null, out var end, cellsAtOnce: parallel, keep: k => kernel = k);
            if (kernel is null) throw new InvalidOperationException("the MMU self-check failed");
            var report = RunReport.From(kernel, m.Workload, end) with { Ablated = o.AblatedName, Params = m.ParamsFor(sweepValue) };
            return report with { Failure = Failure(report, o.Check) };
        }
        catch (KernelPanicException e) when (kernel is not null)
        {
            return RunReport.From(kernel, m.Workload, RunEnd.Stalled) with { End = "panic", Failure = $"kernel panic: {e.Message}", Ablated = o.AblatedName, Params = m.ParamsFor(sweepValue) };
        }
    }
}
