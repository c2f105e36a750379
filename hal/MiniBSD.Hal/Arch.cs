namespace MiniBSD.Hal;

/// <summary>Which instruction set and MMU a machine's CPUs have (<see cref="MachineConfig.Arch"/>).</summary>
public enum Arch : byte
{
    /// <summary>Armv8-A: VMSAv8-64 stage-1 tables, ASID-tagged TLBs, broadcast TLBI.</summary>
    Arm64,
    /// <summary>x86-64: 4-level paging (Intel SDM Vol. 3A §4.5), PCID-tagged TLBs, invalidation by IPI.</summary>
    Amd64,
}

public static class ArchNames
{
    public static string Name(this Arch arch) => arch == Arch.Arm64 ? "arm64" : "amd64";

    public static bool TryParse(string text, out Arch arch)
    {
        (bool ok, arch) = text switch { "arm64" => (true, Arch.Arm64), "amd64" => (true, Arch.Amd64), _ => (false, Arch.Arm64) };
        return ok;
    }
}
