namespace MiniBSD.Userland;

/// <summary>
/// The inputs of the build workload and where each comes from (docs/build-workload.md has the arithmetic). Only
/// inputs are calibrated here, never a cost of the model: the seed's build on the kernel before the diff (real
/// 136.93 s, user 544.57 s, sys 280.55 s) fixes the shape these give on the reaper path: user : sys about 2 : 1 as
/// time(1) counts it, and 825 CPU-seconds in 137 s, 6.0 CPUs busy of 8.
/// </summary>
/// <param name="UserCycles">A compile's mean user computation. MiniBSD's kernel charges only the hardware events it
/// models, so each page fault, fork and exec costs it less than OpenBSD's: the mean is set so that user : sys comes
/// out 2 : 1 on the reaper path, not to the seed's 0.23 s an object (which would give a ratio far above it).</param>
/// <param name="HeapPages">A compile's mean heap, in pages: clang on a kernel file holds tens of MB; 8 MiB keeps the
/// full-size build inside the host-time budget (a fault and its free cost the host about a microsecond).</param>
/// <param name="TextPages">Pages of its 16 MiB text a compile fetches (its shared text, resident after the first).</param>
/// <param name="LinkCyclesPerObject">The link's computation for each object it links: with the serial steps around
/// it, it leaves the CPUs as idle as the seed's 6.0 busy of 8 says.</param>
/// <param name="LinkPagesPerObject">The linker's memory for each object: its sections and symbols.</param>
public sealed record BuildCalibration(long UserCycles, long HeapPages, long TextPages, long LinkCyclesPerObject, long LinkPagesPerObject)
{
    public static BuildCalibration Default { get; } = new(UserCycles: 2_800_000, HeapPages: 2_000, TextPages: 600, LinkCyclesPerObject: 120_000, LinkPagesPerObject: 8);

    /// <summary>
    /// One object's computation, heap and text, from its name's hash: nine in ten are ordinary files (0.3 to 1.3 of
    /// a base), one in ten is big (2 to 8 of it, drm's generated tables and display code), the base chosen so that
    /// the mean is <see cref="UserCycles"/>; the heap follows the computation, around <see cref="HeapPages"/>.
    /// </summary>
    public (long Cycles, long Pages, long Text) Object(string source)
    {
        uint h = Hash(source);
        double u = (h & 0xFFFF) / 65536.0, big = ((h >> 16) & 0xFF) / 256.0, t = (h >> 24) / 256.0;
        const double mean = 0.9 * 0.8 + 0.1 * 5.0;   // of the two uniform parts, weighted
        double share = (big < 0.1 ? 2 + 6 * u : 0.3 + u) / mean;
        long cycles = (long)(UserCycles * share);
        long pages = Math.Max(16, (long)(HeapPages * (0.6 + 0.4 * share)));
        long text = (long)(TextPages * (0.75 + 0.5 * t));
        return (cycles, pages, text);
    }

    /// <summary>FNV-1a of the name: stable across runs and platforms (string.GetHashCode is randomised).</summary>
    public static uint Hash(string s)
    {
        uint h = 2166136261;
        foreach (char c in s) h = (h ^ c) * 16777619;
        return h;
    }
}
