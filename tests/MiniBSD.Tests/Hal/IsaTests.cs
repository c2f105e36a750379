using MiniBSD.Hal;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Tlb;

namespace MiniBSD.Tests.Hal;

/// <summary>System instruction encodings and their disassembly (reference §4.3, checked there with llvm-mc).</summary>
public sealed class IsaTests
{
    [Theory]
    [InlineData(TlbiOp.Vmalle1, 0xD508871Fu, "tlbi vmalle1")]
    [InlineData(TlbiOp.Vmalle1Is, 0xD508831Fu, "tlbi vmalle1is")]
    [InlineData(TlbiOp.Vae1, 0xD5088720u, "tlbi vae1, x0")]
    [InlineData(TlbiOp.Vae1Is, 0xD5088320u, "tlbi vae1is, x0")]
    [InlineData(TlbiOp.Aside1, 0xD5088740u, "tlbi aside1, x0")]
    [InlineData(TlbiOp.Aside1Is, 0xD5088340u, "tlbi aside1is, x0")]
    [InlineData(TlbiOp.Vaae1, 0xD5088760u, "tlbi vaae1, x0")]
    [InlineData(TlbiOp.Vaae1Is, 0xD5088360u, "tlbi vaae1is, x0")]
    [InlineData(TlbiOp.Vale1, 0xD50887A0u, "tlbi vale1, x0")]
    [InlineData(TlbiOp.Vale1Is, 0xD50883A0u, "tlbi vale1is, x0")]
    [InlineData(TlbiOp.Vaale1, 0xD50887E0u, "tlbi vaale1, x0")]
    [InlineData(TlbiOp.Vaale1Is, 0xD50883E0u, "tlbi vaale1is, x0")]
    public void Tlbi_encodings_round_trip(TlbiOp op, uint word, string text)
    {
        Assert.Equal(word, A64.Tlbi(op));
        var insn = Instruction.Decode(word);
        Assert.Equal(InstructionKind.Tlbi, insn.Kind);
        Assert.Equal(op, insn.Tlbi);
        Assert.Equal(text, insn.ToString());
    }

    [Theory]
    [InlineData(0xD50883A1u, "tlbi vale1is, x1")]   // gVisor cross-check
    [InlineData(0xD5088341u, "tlbi aside1is, x1")]
    [InlineData(0xD5033B9Fu, "dsb ish")]
    [InlineData(0xD5033A9Fu, "dsb ishst")]
    [InlineData(0xD503379Fu, "dsb nsh")]
    [InlineData(0xD503369Fu, "dsb nshst")]
    [InlineData(0xD5033F9Fu, "dsb sy")]
    [InlineData(0xD5033BBFu, "dmb ish")]
    [InlineData(0xD5033FDFu, "isb")]
    [InlineData(0xD5182000u, "msr ttbr0_el1, x0")]
    [InlineData(0xD5182020u, "msr ttbr1_el1, x0")]
    [InlineData(0xD5182040u, "msr tcr_el1, x0")]
    [InlineData(0xD518A200u, "msr mair_el1, x0")]
    [InlineData(0xD5181000u, "msr sctlr_el1, x0")]
    [InlineData(0xD518C000u, "msr vbar_el1, x0")]
    [InlineData(0xD5382000u, "mrs x0, ttbr0_el1")]
    [InlineData(0xD5385200u, "mrs x0, esr_el1")]
    [InlineData(0xD5386000u, "mrs x0, far_el1")]
    [InlineData(0xD5380700u, "mrs x0, id_aa64mmfr0_el1")]
    [InlineData(0xD5087800u, "at s1e1r, x0")]
    [InlineData(0xD5087840u, "at s1e0r, x0")]
    [InlineData(0xD5387400u, "mrs x0, par_el1")]
    [InlineData(0xD4000001u, "svc #0x0")]
    [InlineData(0xD69F03E0u, "eret")]
    [InlineData(0xD500419Fu, "msr pan, #1")]
    public void Reference_encodings_decode_and_disassemble(uint word, string text) =>
        Assert.Equal(text, Instruction.Decode(word).ToString());

    [Fact]
    public void Builders_produce_the_reference_words()
    {
        Assert.Equal(0xD5182000u, A64.Msr(SysReg.Ttbr0El1));
        Assert.Equal(0xD5382000u, A64.Mrs(SysReg.Ttbr0El1));
        Assert.Equal(0xD5387400u, A64.Mrs(SysReg.ParEl1));
        Assert.Equal(0xD5087840u, A64.At(AtOp.S1E0R));
        Assert.Equal(0xD5033B9Fu, A64.Dsb(BarrierOption.Ish));
        Assert.Equal(0xD5033FDFu, A64.Isb);
        Assert.Equal(0xD4000001u, A64.Svc(0));
        Assert.Equal(0xD500419Fu, A64.MsrPanImmediate(true));
    }

    [Theory]
    [InlineData(0xD518421Fu)]  // msr spsel, xzr: a PSTATE field MiniBSD does not implement
    [InlineData(0xD5087900u)]  // at s1e1rp (FEAT_PAN2)
    [InlineData(0xD50C8000u)]  // a SYS with op1 = 4 (EL2 TLBI)
    [InlineData(0xD53B4200u)]  // mrs x0, nzcv: not a register MiniBSD implements
    [InlineData(0x8B020020u)]  // add x0, x1, x2: not a system instruction
    [InlineData(0xD5088300u)]  // tlbi vmalle1is with Rt != 31
    public void Unsupported_encodings_fail_loudly_naming_the_word(uint word)
    {
        var e = Assert.Throws<UnsupportedFeatureException>(() => Instruction.Decode(word));
        Assert.Contains($"0x{word:X8}", e.Message);
    }

    [Fact]
    public void A_trace_sees_every_instruction_with_its_operand()
    {
        var m = new Machine(new MachineConfig { Cpus = 1 });
        var trace = new RecordingTrace();
        m.Trace = trace;
        m.Cpus[0].Tlbi(TlbiOp.Vale1Is, 0x42);
        m.Cpus[0].Dsb(BarrierOption.Ish);
        Assert.Equal([(0, 0xD50883A0u, 0x42UL), (0, 0xD5033B9Fu, 0UL)], trace.Seen);
    }

    private sealed class RecordingTrace : IInstructionTrace
    {
        public List<(int, uint, ulong)> Seen { get; } = [];
        public void OnInstruction(int cpu, long cycle, uint encoding, ulong operand) => Seen.Add((cpu, encoding, operand));
    }
}
