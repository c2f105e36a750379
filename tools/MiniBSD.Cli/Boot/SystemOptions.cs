using MiniBSD.Hal;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Cli.Boot;

/// <summary>The options <c>minibsd boot</c> and <c>minibsd run</c> share.</summary>
public sealed record SystemOptions(
    int Cpus = 4,
    ulong MemoryBytes = 512 * MachineConfig.MiB,
    int PaBits = 48,
    int AsidBits = 16,
    int Seed = 0,
    int MaxProc = 1000,
    bool Trace = false,
    string? CostsFile = null,
    bool Verbose = false,
    bool Check = true,
    double MaxSeconds = RunLimits.DefaultMaxSeconds,
    ExitPath ExitPath = ExitPath.Purge,
    string? JsonFile = null,
    IReadOnlyList<FailSpec>? Faults = null,
    Arch Arch = Arch.Arm64,
    Mechanism? Ablate = null)
{
    /// <summary>Arms <paramref name="k"/>'s fault injection with <see cref="Faults"/>.</summary>
    public void Arm(InitMain k)
    {
        foreach (var f in Faults ?? [])
            if (f.Rate is { } p) k.FailPoints.FailRate(f.Site, p);
            else k.FailPoints.FailAt(f.Site, f.Nth);
    }

    /// <summary>The first option that is out of range, named as on the command line, or null.</summary>
    public string? Problem() =>
        Cpus is < 1 or > 64 ? $"--cpus {Cpus}: a machine has 1 to 64 CPUs"
        : Arch == Arch.Arm64 && PaBits is not (32 or 36 or 40 or 42 or 44 or 48) ? $"--pa-bits {PaBits}: must be 32, 36, 40, 42, 44 or 48 on arm64"
        : Arch == Arch.Amd64 && PaBits is < 32 or > 52 ? $"--pa-bits {PaBits}: MAXPHYADDR is 32 to 52 on amd64"
        : AsidBits is not (8 or 16) ? $"--asid-bits {AsidBits}: must be 8 or 16"
        : MemoryBytes < 16 * MachineConfig.MiB || MemoryBytes > 64 * MachineConfig.GiB || MemoryBytes % 4096 != 0
            ? $"--memory {BootSizes.Format(MemoryBytes)}: RAM is 16 MiB to 64 GiB, a multiple of 4 KiB"
        : MaxProc is < 2 or > 100_000 ? $"--maxproc {MaxProc}: must be 2 to 100000"
        : Seed < 0 ? $"--seed {Seed}: must be 0 or more"
        : MaxSeconds < 0 || !double.IsFinite(MaxSeconds) ? $"--max-time {MaxSeconds}: must be 0 (no limit) or more seconds"
        : null;

    /// <summary>The kernel's options these make.</summary>
    public KernelOptions KernelOptions() => new(Seed, MaxProc, ExitPath: ExitPath, PerCpuPageCache: Ablate != Mechanism.PercpuCache,
        FreeCosts: Ablate == Mechanism.FreeCost ? Kernel.Uvm.PmrCosts.Free : null, AsidPair: Ablate != Mechanism.AsidPair);

    /// <summary>What <see cref="Ablate"/> turned off, as reports name it ("none" for the whole model).</summary>
    public string AblatedName => Ablate?.Name() ?? "none";
}

/// <summary>Sizes on the command line: "512M", "4G", "65536K" or bytes.</summary>
public static class BootSizes
{
    public static bool TryParse(string text, out ulong bytes)
    {
        bytes = 0;
        string t = text.Trim().ToUpperInvariant().TrimEnd('B').TrimEnd('I');
        ulong unit = t.EndsWith('K') ? 1UL << 10 : t.EndsWith('M') ? 1UL << 20 : t.EndsWith('G') ? 1UL << 30 : 1;
        if (unit != 1) t = t[..^1];
        if (!ulong.TryParse(t, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong n) || n > ulong.MaxValue / unit) return false;
        bytes = n * unit;
        return true;
    }

    public static string Format(ulong bytes) =>
        bytes % (1UL << 30) == 0 ? $"{bytes >> 30} GiB" : bytes % (1UL << 20) == 0 ? $"{bytes >> 20} MiB" : bytes % 1024 == 0 ? $"{bytes >> 10} KiB" : $"{bytes} bytes";
}

/// <summary>One --fail-at SITE:N (fail the N-th call) or --fail-rate SITE:P (fail each call with probability P).</summary>
public sealed record FailSpec(FailSite Site, long Nth, double? Rate)
{
    /// <summary>Parses "SITE:N" (<paramref name="rate"/> false) or "SITE:P"; null with <paramref name="error"/> naming what is wrong.</summary>
    public static FailSpec? Parse(string text, bool rate, out string? error)
    {
        error = null;
        string option = rate ? "--fail-rate" : "--fail-at";
        int colon = text.LastIndexOf(':');
        string site = colon < 0 ? text : text[..colon], value = colon < 0 ? "" : text[(colon + 1)..];
        if (!FailSiteNames.TryParse(site, out var s))
            error = $"{option} {text}: '{site}' is not a site; the sites are {string.Join(", ", FailSiteNames.All.Select(x => x.Name()))}";
        else if (rate && double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double p) && p is >= 0 and <= 1)
            return new FailSpec(s, 0, p);
        else if (!rate && long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long n) && n >= 1)
            return new FailSpec(s, n, null);
        else error = $"{option} {text}: give SITE:{(rate ? "P, P a probability from 0 to 1" : "N, N the call to fail counting from 1")}";
        return null;
    }
}
