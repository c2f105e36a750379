namespace MiniBSD.Hal.Registers;

/// <summary>The kind of an MMU fault, the type part of a DFSC/IFSC code (reference §3.4).</summary>
public enum FaultKind : byte
{
    None = 0,
    AddressSize,
    Translation,
    AccessFlag,
    Permission,
    ExternalAbortOnWalk,
    ExternalAbort,
    Alignment,
}

/// <summary>A 6-bit DFSC/IFSC/FST value (reference §3.4): type in [5:2], level in [1:0].</summary>
public enum FaultStatus : byte
{
    AddressSizeL0 = 0x00, AddressSizeL1 = 0x01, AddressSizeL2 = 0x02, AddressSizeL3 = 0x03,
    TranslationL0 = 0x04, TranslationL1 = 0x05, TranslationL2 = 0x06, TranslationL3 = 0x07,
    AccessFlagL0 = 0x08, AccessFlagL1 = 0x09, AccessFlagL2 = 0x0A, AccessFlagL3 = 0x0B,
    PermissionL0 = 0x0C, PermissionL1 = 0x0D, PermissionL2 = 0x0E, PermissionL3 = 0x0F,
    ExternalAbort = 0x10,
    ExternalAbortOnWalkL0 = 0x14, ExternalAbortOnWalkL1 = 0x15, ExternalAbortOnWalkL2 = 0x16, ExternalAbortOnWalkL3 = 0x17,
    Alignment = 0x21,
}

public static class FaultStatusExtensions
{
    /// <summary>Encodes a fault kind and level as the architecture's 6-bit status code.</summary>
    public static FaultStatus ToStatus(this FaultKind kind, int level) => kind switch
    {
        FaultKind.AddressSize => (FaultStatus)(0x00 | level),
        FaultKind.Translation => (FaultStatus)(0x04 | level),
        FaultKind.AccessFlag => (FaultStatus)(0x08 | level),
        FaultKind.Permission => (FaultStatus)(0x0C | level),
        FaultKind.ExternalAbortOnWalk => (FaultStatus)(0x14 | level),
        FaultKind.ExternalAbort => FaultStatus.ExternalAbort,
        FaultKind.Alignment => FaultStatus.Alignment,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no status code for this fault kind"),
    };

    /// <summary>Decodes the type part of a status code (Linux ESR_ELx_FSC_TYPE = 0x3C).</summary>
    public static FaultKind Kind(this FaultStatus status) => (int)status switch
    {
        <= 0x03 => FaultKind.AddressSize,
        <= 0x07 => FaultKind.Translation,
        <= 0x0B => FaultKind.AccessFlag,
        <= 0x0F => FaultKind.Permission,
        0x10 => FaultKind.ExternalAbort,
        >= 0x14 and <= 0x17 => FaultKind.ExternalAbortOnWalk,
        0x21 => FaultKind.Alignment,
        _ => FaultKind.None,
    };

    /// <summary>The lookup level in [1:0], meaningful for the walk-related kinds.</summary>
    public static int Level(this FaultStatus status) => (int)status & 3;

    public static string Describe(this FaultStatus status) => status.Kind() switch
    {
        FaultKind.AddressSize => $"address size fault, level {status.Level()}",
        FaultKind.Translation => $"translation fault, level {status.Level()}",
        FaultKind.AccessFlag => $"access flag fault, level {status.Level()}",
        FaultKind.Permission => $"permission fault, level {status.Level()}",
        FaultKind.ExternalAbortOnWalk => $"synchronous external abort on translation table walk, level {status.Level()}",
        FaultKind.ExternalAbort => "synchronous external abort",
        FaultKind.Alignment => "alignment fault",
        _ => $"status 0x{(int)status:X2}",
    };
}
