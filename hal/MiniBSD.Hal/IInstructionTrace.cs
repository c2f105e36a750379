namespace MiniBSD.Hal;

/// <summary>
/// Receives every system instruction a CPU executes, with its 32-bit encoding and its Xt operand value,
/// so a trace can show each one with its disassembly (<see cref="Isa.Instruction.Decode"/>).
/// </summary>
public interface IInstructionTrace
{
    void OnInstruction(int cpu, long cycle, uint encoding, ulong operand);

    /// <summary>An x86 system instruction, as Iced decoded it from its bytes, with the registers it read.</summary>
    void OnX86Instruction(int cpu, long cycle, ReadOnlySpan<byte> bytes, in Iced.Intel.Instruction instruction, in X86.X86Operands operands) { }
}
