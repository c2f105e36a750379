namespace MiniBSD.Hal.Registers;

/// <summary>Exception classes of ESR_EL1.EC (reference §3.2).</summary>
public enum ExceptionClass : byte
{
    Unknown = 0x00,
    Svc64 = 0x15,
    SystemRegisterTrap = 0x18,
    InstructionAbortLowerEl = 0x20,
    InstructionAbortSameEl = 0x21,
    PcAlignment = 0x22,
    DataAbortLowerEl = 0x24,
    DataAbortSameEl = 0x25,
    SpAlignment = 0x26,
    SError = 0x2F,
    Brk64 = 0x3C,
}

/// <summary>ESR_EL1, the syndrome of the last exception taken to EL1 (reference §3.1, §3.3).</summary>
public readonly record struct Esr(ulong Value)
{
    public ExceptionClass Ec => (ExceptionClass)((Value >> 26) & 0x3F);
    public bool Il => ((Value >> 25) & 1) != 0;
    public uint Iss => (uint)(Value & 0x1FF_FFFF);
    /// <summary>WnR (data aborts): the access was a write.</summary>
    public bool WnR => ((Value >> 6) & 1) != 0;
    /// <summary>CM (data aborts): raised by a cache maintenance or address translation instruction.</summary>
    public bool Cm => ((Value >> 8) & 1) != 0;
    /// <summary>DFSC/IFSC, bits [5:0].</summary>
    public FaultStatus FaultStatus => (FaultStatus)(Value & 0x3F);
    public bool IsAbort => Ec is ExceptionClass.DataAbortLowerEl or ExceptionClass.DataAbortSameEl
        or ExceptionClass.InstructionAbortLowerEl or ExceptionClass.InstructionAbortSameEl;

    /// <summary>A Data Abort syndrome: EC 0x24 (from EL0) or 0x25 (from EL1), IL=1, ISV=0.</summary>
    public static Esr DataAbort(bool fromLowerEl, FaultStatus status, bool write, bool cacheMaintenance = false) =>
        new((ulong)(fromLowerEl ? ExceptionClass.DataAbortLowerEl : ExceptionClass.DataAbortSameEl) << 26
            | 1UL << 25 | (cacheMaintenance ? 1UL << 8 : 0) | (write ? 1UL << 6 : 0) | (ulong)status);

    /// <summary>An Instruction Abort syndrome: EC 0x20 (from EL0) or 0x21 (from EL1), IL=1.</summary>
    public static Esr InstructionAbort(bool fromLowerEl, FaultStatus status) =>
        new((ulong)(fromLowerEl ? ExceptionClass.InstructionAbortLowerEl : ExceptionClass.InstructionAbortSameEl) << 26
            | 1UL << 25 | (ulong)status);

    /// <summary>SVC #imm16 from AArch64: EC 0x15, IL=1, ISS = imm16.</summary>
    public static Esr Svc(ushort imm16) => new((ulong)ExceptionClass.Svc64 << 26 | 1UL << 25 | imm16);

    /// <summary>An UNDEFINED instruction: EC 0x00, IL=1.</summary>
    public static Esr Undefined => new(1UL << 25);

    public override string ToString() => IsAbort
        ? $"0x{Value:X8} (EC=0x{(int)Ec:X2} {Ec} IL={(Il ? 1 : 0)} WnR={(WnR ? 1 : 0)} CM={(Cm ? 1 : 0)} FSC=0x{(int)FaultStatus:X2} {FaultStatus.Describe()})"
        : $"0x{Value:X8} (EC=0x{(int)Ec:X2} {Ec} IL={(Il ? 1 : 0)} ISS=0x{Iss:X})";
}
