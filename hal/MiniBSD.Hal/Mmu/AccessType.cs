namespace MiniBSD.Hal.Mmu;

/// <summary>What an access does with memory.</summary>
public enum AccessType : byte
{
    Read = 0,
    Write = 1,
    Execute = 2,
}
