namespace MiniBSD.Kernel.Abi;

/// <summary>
/// What a running user program can see of its thread (DESIGN.md "Threads as coroutine stacks"): the result registers
/// after a system call or a subroutine frame, and its memory through the MMU of the CPU it runs on, at EL0.
/// A load or store that faults enters the kernel's trap path (uvm_fault); if the kernel cannot resolve it, a signal
/// is posted, the access returns false, and the signal acts at the program's next yield (a fatal one ends it there).
/// </summary>
public interface IUserContext
{
    /// <summary>x0 after the last system call (its result, or the errno when <see cref="Carry"/> is set), or what the
    /// last subroutine frame returned.</summary>
    long X0 { get; }

    /// <summary>PSTATE.C after the last system call: set when it failed (OpenBSD arm64's error convention).</summary>
    bool Carry { get; }

    /// <summary>Loads <paramref name="destination"/>.Length bytes from <paramref name="va"/> (LDR at EL0).</summary>
    bool Load(ulong va, Span<byte> destination);

    /// <summary>Stores <paramref name="source"/> at <paramref name="va"/> (STR at EL0).</summary>
    bool Store(ulong va, ReadOnlySpan<byte> source);
}
