namespace MiniBSD.Hal.Check;

/// <summary>The three rules of DESIGN.md's TLB coherence checker.</summary>
public enum CoherenceRule : byte
{
    /// <summary>Rule 1: a TLB hit differs from a fresh walk of the CPU's current tables (an entry changed without its TLBI).</summary>
    StaleHit = 1,
    /// <summary>Rule 2: a frame was released while a usable TLB entry (global, or of an ASID loaded on some CPU) maps it.</summary>
    FreedFrameStillMapped = 2,
    /// <summary>Rule 3: an ASID was handed out while some TLB still holds entries tagged with it.</summary>
    AsidReusedWithStaleEntries = 3,
    /// <summary>The HAL's own invariant: the micro-TLB or last-page cache holds a page the TLB no longer translates
    /// to that frame with that permission (a host-side shortcut that changed behaviour).</summary>
    FastPathStale = 4,
}

/// <summary>One report of the checker: which rule, on which CPU, for which ASID, VA and frame, with the descriptors.</summary>
public sealed record CoherenceViolation(
    CoherenceRule Rule,
    int Cpu,
    ushort Asid,
    bool Global,
    ulong Va,
    ulong Frame,
    ulong CachedDescriptor,
    ulong CachedDescriptorAddress,
    ulong? CurrentDescriptor,
    string Detail,
    string? Context)
{
    public override string ToString()
    {
        string who = Context is null ? "" : $" [{Context}]";
        string tag = Global ? "global" : $"ASID 0x{Asid:X}";
        string now = CurrentDescriptor is { } d ? $", descriptor now 0x{d:X16}" : "";
        return $"TLB coherence rule {(int)Rule} ({Rule}){who}: cpu{Cpu} {tag} VA 0x{Va:X} frame 0x{Frame:X}: {Detail} "
            + $"(cached descriptor 0x{CachedDescriptor:X16} read from 0x{CachedDescriptorAddress:X}{now})";
    }
}

/// <summary>Thrown by the checker in <see cref="TlbCoherenceChecker.ThrowOnViolation"/> mode.</summary>
public sealed class CoherenceViolationException(CoherenceViolation violation) : Exception(violation.ToString())
{
    public CoherenceViolation Violation { get; } = violation;
}
