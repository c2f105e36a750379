namespace MiniBSD.Hal.Registers;

/// <summary>SCTLR_EL1, the bits that matter to the MMU (reference §1.5).</summary>
public readonly record struct Sctlr(ulong Value)
{
    public const ulong MBit = 1UL << 0, ABit = 1UL << 1, CBit = 1UL << 2, IBit = 1UL << 12;
    public const ulong WxnBit = 1UL << 19, SpanBit = 1UL << 23, E0eBit = 1UL << 24, EeBit = 1UL << 25;

    /// <summary>M: stage-1 translation for EL1&amp;0 is on.</summary>
    public bool M => (Value & MBit) != 0;
    /// <summary>A: alignment checking of data accesses (fault 0x21).</summary>
    public bool A => (Value & ABit) != 0;
    public bool C => (Value & CBit) != 0;
    public bool I => (Value & IBit) != 0;
    /// <summary>WXN: memory writable at an EL is execute-never at that EL.</summary>
    public bool Wxn => (Value & WxnBit) != 0;
    /// <summary>SPAN: 0 means PSTATE.PAN is set on every exception taken to EL1.</summary>
    public bool Span => (Value & SpanBit) != 0;
    public bool E0e => (Value & E0eBit) != 0;
    public bool Ee => (Value & EeBit) != 0;

    /// <summary>The value an OS runs with: MMU, caches on, SPAN=0 (PAN set on entry), little-endian.</summary>
    public static Sctlr KernelDefault => new(MBit | CBit | IBit);

    public override string ToString() =>
        $"0x{Value:X16} (M={B(M)} A={B(A)} C={B(C)} I={B(I)} WXN={B(Wxn)} SPAN={B(Span)} E0E={B(E0e)} EE={B(Ee)})";

    private static int B(bool b) => b ? 1 : 0;
}
