using MiniBSD.Hal.Tlb;

namespace MiniBSD.Hal.Isa;

public enum InstructionKind : byte
{
    Msr,
    Mrs,
    Tlbi,
    At,
    Dsb,
    Dmb,
    Isb,
    MsrPanImmediate,
    Svc,
    Eret,
}

/// <summary>A decoded system instruction: the fields the CPU needs to execute it.</summary>
public readonly record struct Instruction(uint Word, InstructionKind Kind, SysReg Register = 0, TlbiOp Tlbi = 0, AtOp At = 0,
    BarrierOption Barrier = 0, int Rt = 0, ushort Immediate = 0)
{
    /// <summary>
    /// Decodes one of the encodings MiniBSD implements (reference §4.3). Anything else fails loudly with the
    /// word and what it was taken to be.
    /// </summary>
    public static Instruction Decode(uint word)
    {
        int rt = (int)(word & 31);
        if (word == A64.Eret) return new(word, InstructionKind.Eret);
        if ((word & 0xFFE0_001F) == 0xD400_0001) return new(word, InstructionKind.Svc, Immediate: (ushort)(word >> 5));
        if ((word & 0xFFC0_0000) != 0xD500_0000)
            throw NotASystemInstruction(word);
        bool l = (word & (1u << 21)) != 0;
        int op0 = (int)(word >> 19) & 3, op1 = (int)(word >> 16) & 7, crn = (int)(word >> 12) & 15;
        int crm = (int)(word >> 8) & 15, op2 = (int)(word >> 5) & 7;
        if (op0 >= 2)
        {
            var reg = (ushort)((word >> 5) & 0xFFFF);
            if (!SysRegExtensions.IsKnown(reg))
                throw UnknownRegister(word, l, op0, op1, crn, crm, op2);
            return new(word, l ? InstructionKind.Mrs : InstructionKind.Msr, Register: (SysReg)reg, Rt: rt);
        }
        if (l) throw Sysl(word);
        if (op0 == 1) return DecodeSys(word, op1, crn, crm, op2, rt);
        return DecodeHintsAndBarriers(word, op1, crn, crm, op2, rt);
    }

    // The exceptions are made in methods of their own: an interpolated string in Decode would slow every decode.
    private static UnsupportedFeatureException NotASystemInstruction(uint word) =>
        new($"0x{word:X8}: not a system instruction MiniBSD implements");

    private static UnsupportedFeatureException Sysl(uint word) => new($"0x{word:X8}: SYSL is not implemented");

    private static UnsupportedFeatureException UnknownRegister(uint word, bool l, int op0, int op1, int crn, int crm, int op2) =>
        new($"0x{word:X8}: {(l ? "MRS" : "MSR")} of S{op0}_{op1}_C{crn}_C{crm}_{op2}, a system register MiniBSD does not implement");

    private static Instruction DecodeSys(uint word, int op1, int crn, int crm, int op2, int rt)
    {
        if (op1 == 0 && crn == 8 && crm is 3 or 7 && op2 is 0 or 1 or 2 or 3 or 5 or 7)
        {
            var op = (TlbiOp)(op2 | crm << 3);
            if (!op.HasOperand() && rt != 31)
                throw new UnsupportedFeatureException($"0x{word:X8}: TLBI {op.Mnemonic().ToUpperInvariant()} must have Rt=31 (XZR)");
            return new(word, InstructionKind.Tlbi, Tlbi: op, Rt: rt);
        }
        if (op1 == 0 && crn == 7 && crm == 8 && op2 <= 3) return new(word, InstructionKind.At, At: (AtOp)op2, Rt: rt);
        throw new UnsupportedFeatureException($"0x{word:X8}: SYS #{op1}, C{crn}, C{crm}, #{op2} is not implemented (only TLBI stage-1 EL1 forms and AT S1E1R/W, S1E0R/W are)");
    }

    private static Instruction DecodeHintsAndBarriers(uint word, int op1, int crn, int crm, int op2, int rt)
    {
        if (op1 == 3 && crn == 3 && rt == 31)
        {
            if (op2 == 4 && Enum.IsDefined((BarrierOption)crm)) return new(word, InstructionKind.Dsb, Barrier: (BarrierOption)crm);
            if (op2 == 5 && Enum.IsDefined((BarrierOption)crm)) return new(word, InstructionKind.Dmb, Barrier: (BarrierOption)crm);
            if (op2 == 6) return new(word, InstructionKind.Isb);
        }
        if (op1 == 0 && crn == 4 && op2 == 4 && rt == 31 && crm <= 1)
            return new(word, InstructionKind.MsrPanImmediate, Immediate: (ushort)crm);
        throw new UnsupportedFeatureException($"0x{word:X8}: hint/barrier/PSTATE encoding (op1={op1} CRn={crn} CRm={crm} op2={op2}) is not implemented");
    }

    /// <summary>The disassembly, as llvm-mc prints it (e.g. "tlbi vale1is, x1").</summary>
    public override string ToString() => Kind switch
    {
        InstructionKind.Msr => $"msr {Register.Name()}, {X(Rt)}",
        InstructionKind.Mrs => $"mrs {X(Rt)}, {Register.Name()}",
        InstructionKind.Tlbi => Tlbi.HasOperand() ? $"tlbi {Tlbi.Mnemonic()}, {X(Rt)}" : $"tlbi {Tlbi.Mnemonic()}",
        InstructionKind.At => $"at {At.Mnemonic()}, {X(Rt)}",
        InstructionKind.Dsb => $"dsb {Barrier.ToString().ToLowerInvariant()}",
        InstructionKind.Dmb => $"dmb {Barrier.ToString().ToLowerInvariant()}",
        InstructionKind.Isb => "isb",
        InstructionKind.MsrPanImmediate => $"msr pan, #{Immediate}",
        InstructionKind.Svc => $"svc #0x{Immediate:x}",
        InstructionKind.Eret => "eret",
        _ => $".inst 0x{Word:x8}",
    };

    private static string X(int rt) => rt == 31 ? "xzr" : $"x{rt}";
}
