using MiniBSD.Cli.MmuAt;

namespace MiniBSD.Cli.MmuWalk;

/// <summary>
/// <c>minibsd mmu walk --arch amd64 [--out DIR] [--explain] SCENARIO.json...</c>, the x86 counterpart of mmu at (x86
/// has no address-translation instruction): every scenario is checked and run before anything is written.
/// </summary>
public static class MmuWalkCommand
{
    public static int Run(string arch, IReadOnlyList<string> files, string? outDir, bool explain, TextWriter stdout, TextWriter stderr) =>
        arch != "amd64"
            ? ScenarioCommand.Fail(stderr, $"mmu walk: --arch '{arch}': only amd64 (arm64 translations are `minibsd mmu at`)")
            : ScenarioCommand.Run("mmu walk", files, outDir, file => WalkRunner.Run(WalkScenario.Load(file), explain), stdout, stderr);
}
