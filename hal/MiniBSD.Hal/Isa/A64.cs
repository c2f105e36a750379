using MiniBSD.Hal.Tlb;

namespace MiniBSD.Hal.Isa;

/// <summary>
/// Builders of the 32-bit A64 encodings the kernel executes, written against the Arm ARM's fields
/// (reference §4.3; each checked with llvm-mc there). Rt is the register number named in the encoding.
/// </summary>
public static class A64
{
    /// <summary>MSR &lt;sysreg&gt;, Xt: 1101_0101_0001 op0.. (L = 0).</summary>
    public static uint Msr(SysReg reg, int rt = 0) => 0xD500_0000u | (uint)reg << 5 | (uint)(rt & 31);

    /// <summary>MRS Xt, &lt;sysreg&gt;: as MSR with L (bit 21) set.</summary>
    public static uint Mrs(SysReg reg, int rt = 0) => 0xD520_0000u | (uint)reg << 5 | (uint)(rt & 31);

    /// <summary>SYS #op1, Cn, Cm, #op2, Xt = 0xD5080000 | op1&lt;&lt;16 | CRn&lt;&lt;12 | CRm&lt;&lt;8 | op2&lt;&lt;5 | Rt.</summary>
    public static uint Sys(int op1, int crn, int crm, int op2, int rt) =>
        0xD508_0000u | (uint)op1 << 16 | (uint)crn << 12 | (uint)crm << 8 | (uint)op2 << 5 | (uint)(rt & 31);

    /// <summary>TLBI &lt;op&gt;{, Xt}: SYS #0, C8, C3 (IS) or C7, #op2. VMALLE1(IS) uses Rt = 31.</summary>
    public static uint Tlbi(TlbiOp op, int rt = 0) => Sys(0, 8, op.Crm(), op.Op2(), op.HasOperand() ? rt : 31);

    /// <summary>AT &lt;op&gt;, Xt: SYS #0, C7, C8, #op2.</summary>
    public static uint At(AtOp op, int rt = 0) => Sys(0, 7, 8, (int)op, rt);

    /// <summary>DSB &lt;option&gt;: 0xD503309F | CRm&lt;&lt;8.</summary>
    public static uint Dsb(BarrierOption option) => 0xD503_309Fu | (uint)option << 8;

    /// <summary>DMB &lt;option&gt;: 0xD50330BF | CRm&lt;&lt;8.</summary>
    public static uint Dmb(BarrierOption option) => 0xD503_30BFu | (uint)option << 8;

    /// <summary>ISB (SY): 0xD5033FDF.</summary>
    public const uint Isb = 0xD503_3FDF;

    /// <summary>MSR PAN, #imm (PSTATE field op1 = 0, op2 = 4): 0xD500409F | imm&lt;&lt;8.</summary>
    public static uint MsrPanImmediate(bool pan) => 0xD500_409Fu | (pan ? 1u : 0u) << 8;

    /// <summary>SVC #imm16: 0xD4000001 | imm16&lt;&lt;5.</summary>
    public static uint Svc(ushort imm16) => 0xD400_0001u | (uint)imm16 << 5;

    /// <summary>ERET: 0xD69F03E0.</summary>
    public const uint Eret = 0xD69F_03E0;
}
