using System.Text.Json;

namespace MiniBSD.Cli.MmuAt;

/// <summary>
/// <c>minibsd mmu at [--out DIR] [--explain] SCENARIO.json...</c>: runs each scenario's AT cases and writes the
/// scenario back with "par" added to every case, to DIR/&lt;same name&gt; or to stdout for one file without --out.
/// All scenarios are checked and run before anything is written, so a bad one leaves no output behind.
/// </summary>
public static class MmuAtCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <returns>0 on success, 2 when a scenario or the command line is wrong.</returns>
    public static int Run(IReadOnlyList<string> files, string? outDir, bool explain, TextWriter stdout, TextWriter stderr)
    {
        if (files.Count == 0) return Fail(stderr, "mmu at: give at least one SCENARIO.json");
        if (files.Count > 1 && outDir is null) return Fail(stderr, $"mmu at: {files.Count} scenarios need --out DIR (stdout takes one)");
        var names = files.Select(Path.GetFileName).GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (outDir is not null && names.Count > 0) return Fail(stderr, $"mmu at: two scenarios share the file name '{names[0]}', so --out would write one over the other");
        var results = new List<(string File, ScenarioResult Result)>();
        var errors = new List<string>();
        foreach (var file in files)
        {
            try { results.Add((file, ScenarioRunner.Run(Scenario.Load(file), explain))); }
            catch (ScenarioException e) { errors.Add(e.Message); }
        }
        if (errors.Count > 0)
        {
            foreach (var e in errors) stderr.WriteLine($"minibsd mmu at: {e}");
            return 2;
        }
        if (outDir is not null && !Host.HostFiles.EnsureDirectory(outDir, out string? dirError)) return Fail(stderr, $"mmu at: --out {dirError}");
        foreach (var (file, result) in results)
        {
            if (explain) (outDir is null ? stderr : stdout).Write(result.Explanation);
            string json = result.Output.ToJsonString(Indented) + "\n";
            if (outDir is null) { stdout.Write(json); continue; }
            if (!Host.HostFiles.WriteText(Path.Combine(outDir, Path.GetFileName(file)), json, out string? error))
                return Fail(stderr, $"mmu at: --out {error}");
        }
        return 0;
    }

    private static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine($"minibsd {message}");
        return 2;
    }
}
