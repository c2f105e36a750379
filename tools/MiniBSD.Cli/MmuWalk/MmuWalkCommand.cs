using System.Text.Json;
using MiniBSD.Cli.MmuAt;

namespace MiniBSD.Cli.MmuWalk;

/// <summary>
/// <c>minibsd mmu walk --arch amd64 [--out DIR] [--explain] SCENARIO.json...</c>, the x86 counterpart of mmu at (x86
/// has no address-translation instruction): every scenario is checked and run before anything is written.
/// </summary>
public static class MmuWalkCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static int Run(string arch, IReadOnlyList<string> files, string? outDir, bool explain, TextWriter stdout, TextWriter stderr)
    {
        if (arch != "amd64") return Fail(stderr, $"mmu walk: --arch '{arch}': only amd64 (arm64 translations are `minibsd mmu at`)");
        if (files.Count == 0) return Fail(stderr, "mmu walk: give at least one SCENARIO.json");
        if (files.Count > 1 && outDir is null) return Fail(stderr, $"mmu walk: {files.Count} scenarios need --out DIR (stdout takes one)");
        if (outDir is not null && files.Select(Path.GetFileName).Distinct(StringComparer.Ordinal).Count() != files.Count)
            return Fail(stderr, "mmu walk: two scenarios share a file name, so --out would write one over the other");
        var results = new List<(string File, ScenarioResult Result)>();
        var errors = new List<string>();
        foreach (var file in files)
        {
            try { results.Add((file, WalkRunner.Run(WalkScenario.Load(file), explain))); }
            catch (ScenarioException e) { errors.Add(e.Message); }
        }
        foreach (var e in errors) stderr.WriteLine($"minibsd mmu walk: {e}");
        if (errors.Count > 0) return 2;
        if (outDir is not null && !Host.HostFiles.EnsureDirectory(outDir, out string? dirError)) return Fail(stderr, $"mmu walk: --out {dirError}");
        foreach (var (file, result) in results)
        {
            if (explain) (outDir is null ? stderr : stdout).Write(result.Explanation);
            string json = result.Output.ToJsonString(Indented) + "\n";
            if (outDir is null) { stdout.Write(json); continue; }
            if (!Host.HostFiles.WriteText(Path.Combine(outDir, Path.GetFileName(file)), json, out string? error))
                return Fail(stderr, $"mmu walk: --out {error}");
        }
        return 0;
    }

    private static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine($"minibsd {message}");
        return 2;
    }
}
