namespace MiniBSD.Kernel.Kern;

/// <summary>A kernel bug found by a consistency check: what OpenBSD's panic() stops the machine for.</summary>
public sealed class KernelPanicException : Exception
{
    public KernelPanicException(string message) : base("panic: " + message) { }
    public KernelPanicException(string message, Exception inner) : base("panic: " + message, inner) { }
    public KernelPanicException() { }
}

/// <summary>
/// panic() and KASSERT() (OpenBSD sys/systm.h, kern/subr_prf.c). Always on; a message starts with the name of the
/// function that found the problem. Only kernel bugs panic: what a user program does wrong is an errno or a signal.
/// </summary>
public static class Systm
{
    public static KernelPanicException Panic(string message) => new(message);

    /// <summary>KASSERT(condition): panics with <paramref name="message"/> when the condition is false.</summary>
    public static void Kassert(bool condition, string message)
    {
        if (!condition) throw new KernelPanicException(message);
    }
}
