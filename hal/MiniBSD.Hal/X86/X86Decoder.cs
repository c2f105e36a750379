using Iced.Intel;

namespace MiniBSD.Hal.X86;

/// <summary>
/// Decodes x86-64 instructions with Iced (the only x86 decoder in MiniBSD) and remembers the few encodings a kernel
/// executes, so the system-instruction path does not build a decoder each time; formats them with Iced's formatter.
/// </summary>
public sealed class X86Decoder
{
    private const int Slots = 128, Probes = 8;
    private readonly (ulong Key, int Length, Instruction Insn)[] _cache = new (ulong, int, Instruction)[Slots];
    private readonly byte[] _buffer = new byte[16];

    /// <summary>The first instruction of <paramref name="code"/>; Code.INVALID when the bytes do not decode.</summary>
    public Instruction Decode(ReadOnlySpan<byte> code)
    {
        if (code.Length is 0 or > 8) return DecodeNow(code);
        ulong key = 0;
        for (int i = 0; i < code.Length; i++) key |= (ulong)code[i] << (8 * i);
        // Open addressing with a few probes: the few dozen encodings a kernel executes all stay decoded.
        int home = (int)((key * 0x9E37_79B9_7F4A_7C15UL) >> 57);
        for (int i = 0; i < Probes; i++)
        {
            ref var slot = ref _cache[(home + i) & (Slots - 1)];
            if (slot.Length == code.Length && slot.Key == key) return slot.Insn;
            if (slot.Length != 0) continue;
            slot = (key, code.Length, DecodeNow(code));
            return slot.Insn;
        }
        return DecodeNow(code);   // a full neighbourhood: decode without remembering
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
