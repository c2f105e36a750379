namespace MiniBSD.Cli.MmuAt;

/// <summary>
/// <c>minibsd mmu at [--out DIR] [--explain] SCENARIO.json...</c>: runs each scenario's AT cases and writes the
/// scenario back with "par" added to every case, to DIR/&lt;same name&gt; or to stdout for one file without --out.
/// All scenarios are checked and run before anything is written, so a bad one leaves no output behind.
/// </summary>
public static class MmuAtCommand
{
    /// <returns>0 on success, 2 when a scenario or the command line is wrong.</returns>
    public static int Run(IReadOnlyList<string> files, string? outDir, bool explain, TextWriter stdout, TextWriter stderr) =>
        ScenarioCommand.Run("mmu at", files, outDir, file => ScenarioRunner.Run(Scenario.Load(file), explain), stdout, stderr);
}
