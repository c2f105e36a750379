namespace MiniBSD.Hal;

/// <summary>
/// Receives every system instruction a CPU executes, with its 32-bit encoding and its Xt operand value,
/// so a trace can show each one with its disassembly (<see cref="Isa.Instruction.Decode"/>).
/// </summary>
public interface IInstructionTrace
{
    void OnInstruction(int cpu, long cycle, uint encoding, ulong operand);

    /// <summary>An x86 system instruction, as Iced decoded it from its bytes, with RAX.</summary>
    void OnX86Instruction(int cpu, long cycle, in Iced.Intel.Instruction instruction, ulong rax) { }
}
