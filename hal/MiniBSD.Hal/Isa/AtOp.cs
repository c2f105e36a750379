namespace MiniBSD.Hal.Isa;

/// <summary>AT S1E1R/W, S1E0R/W: the op2 field of SYS #0, C7, C8, #op2 (reference §4.3).</summary>
public enum AtOp : byte
{
    S1E1R = 0,
    S1E1W = 1,
    S1E0R = 2,
    S1E0W = 3,
}

public static class AtOpExtensions
{
    public static bool IsWrite(this AtOp op) => ((int)op & 1) != 0;
    public static bool IsEl0(this AtOp op) => ((int)op & 2) != 0;
    public static string Mnemonic(this AtOp op) => op switch
    {
        AtOp.S1E1R => "s1e1r",
        AtOp.S1E1W => "s1e1w",
        AtOp.S1E0R => "s1e0r",
        _ => "s1e0w",
    };
}
