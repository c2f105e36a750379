using Iced.Intel;

namespace MiniBSD.Hal.X86;

/// <summary>
/// Decodes x86-64 instructions with Iced (the only x86 decoder in MiniBSD) and remembers the few encodings a kernel
/// executes, so the system-instruction path does not build a decoder each time; formats them with Iced's formatter.
/// </summary>
public sealed class X86Decoder
{
    private readonly (ulong Key, int Length, Instruction Insn)[] _cache = new (ulong, int, Instruction)[64];
    private readonly byte[] _buffer = new byte[16];

    /// <summary>The first instruction of <paramref name="code"/>; Code.INVALID when the bytes do not decode.</summary>
    public Instruction Decode(ReadOnlySpan<byte> code)
    {
        if (code.Length is 0 or > 8) return DecodeNow(code);
        ulong key = 0;
        for (int i = 0; i < code.Length; i++) key |= (ulong)code[i] << (8 * i);
        ref var slot = ref _cache[(int)((key ^ (key >> 17) ^ (key >> 31)) & 63)];
        if (slot.Length == code.Length && slot.Key == key) return slot.Insn;
        var insn = DecodeNow(code);
        slot = (key, code.Length, insn);
        return insn;
    }

    private Instruction DecodeNow(ReadOnlySpan<byte> code)
    {
        int n = Math.Min(code.Length, 15);
        code[..n].CopyTo(_buffer);
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(_buffer, 0, n));
        decoder.Decode(out var insn);
        return insn;
    }

    /// <summary>Iced's Intel-syntax text of an instruction, as traces show it.</summary>
    public static string Format(in Instruction insn)
    {
        var output = new StringOutput();
        new IntelFormatter().Format(insn, output);
        return output.ToStringAndReset();
    }

    /// <summary>Decodes and formats one instruction's bytes (for traces and docs).</summary>
    public static string Disassemble(ReadOnlySpan<byte> code) => Format(new X86Decoder().Decode(code));
}
