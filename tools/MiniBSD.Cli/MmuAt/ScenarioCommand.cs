using System.Text.Json;

namespace MiniBSD.Cli.MmuAt;

/// <summary>
/// What <c>mmu at</c> and <c>mmu walk</c> share: the checks of the file list, every scenario loaded and run before
/// anything is written (so a bad one leaves no output behind), and the writing of each result (and explanation) to
/// stdout or to DIR/&lt;same file name&gt;.
/// </summary>
internal static class ScenarioCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <returns>0 on success, 2 when a scenario or the command line is wrong.</returns>
    public static int Run(string command, IReadOnlyList<string> files, string? outDir, Func<string, ScenarioResult> run, TextWriter stdout, TextWriter stderr)
    {
        if (files.Count == 0) return Fail(stderr, $"{command}: give at least one SCENARIO.json");
        if (files.Count > 1 && outDir is null) return Fail(stderr, $"{command}: {files.Count} scenarios need --out DIR (stdout takes one)");
        var names = files.Select(Path.GetFileName).GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (outDir is not null && names.Count > 0) return Fail(stderr, $"{command}: two scenarios share the file name '{names[0]}', so --out would write one over the other");
        var results = new List<(string File, ScenarioResult Result)>();
        var errors = new List<string>();
        foreach (var file in files)
        {
            try { results.Add((file, run(file))); }
            catch (ScenarioException e) { errors.Add(e.Message); }
        }
        foreach (var e in errors) stderr.WriteLine($"minibsd {command}: {e}");
        if (errors.Count > 0) return 2;
        if (outDir is not null && !Host.HostFiles.EnsureDirectory(outDir, out string? dirError)) return Fail(stderr, $"{command}: --out {dirError}");
        foreach (var (file, result) in results)
        {
            if (result.Explanation.Length > 0) (outDir is null ? stderr : stdout).Write(result.Explanation);
            string json = result.Output.ToJsonString(Indented) + "\n";
            if (outDir is null) { stdout.Write(json); continue; }
            if (!Host.HostFiles.WriteText(Path.Combine(outDir, Path.GetFileName(file)), json, out string? error))
                return Fail(stderr, $"{command}: --out {error}");
        }
        return 0;
    }

    public static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine($"minibsd {message}");
        return 2;
    }
}
