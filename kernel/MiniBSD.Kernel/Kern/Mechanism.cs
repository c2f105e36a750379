namespace MiniBSD.Kernel.Kern;

/// <summary>
/// The mechanisms of the exit-path experiment that can be turned off one at a time (<c>--ablate</c>), to see how much
/// of a result each accounts for.
/// </summary>
public enum Mechanism
{
    /// <summary>The free path's cost: pmemrange's tree inserts and allocations under uvm.fpageqlock (off: free).</summary>
    FreeCost,
    /// <summary>The per-CPU page magazines of 2024 (off: every free and allocation takes the lock, as before them).</summary>
    PercpuCache,
    /// <summary>The broadcast TLBI model from measurements (off: the old linear price per target CPU).</summary>
    TlbiModel,
    /// <summary>arm64's kernel/user ASID pairs: two invalidations by ASID where one would do (off: one ASID a pmap).</summary>
    AsidPair,
}

public static class MechanismNames
{
    public static IReadOnlyList<Mechanism> All { get; } = Enum.GetValues<Mechanism>();

    public static string Name(this Mechanism m) => m switch
    {
        Mechanism.FreeCost => "free-cost",
        Mechanism.PercpuCache => "percpu-cache",
        Mechanism.TlbiModel => "tlbi-model",
        _ => "asid-pair",
    };

    public static bool TryParse(string name, out Mechanism m)
    {
        foreach (var x in All)
            if (x.Name() == name)
            {
                m = x;
                return true;
            }
        m = default;
        return false;
    }
}
