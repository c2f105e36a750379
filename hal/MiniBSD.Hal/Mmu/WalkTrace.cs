namespace MiniBSD.Hal.Mmu;

/// <summary>One descriptor read of a walk: where it was read and what it held.</summary>
public readonly record struct WalkStep(int Level, ulong TableAddress, int Index, ulong DescriptorAddress, ulong Descriptor);

/// <summary>A record of a walk for the translation explainer: every level's descriptor and why the walk ended.</summary>
public sealed class WalkTrace
{
    public List<WalkStep> Steps { get; } = [];
    public List<string> Notes { get; } = [];
    public string Outcome { get; set; } = "";

    public void Note(string text) => Notes.Add(text);
}
