using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

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

    /// <summary>
    /// KASSERT with an interpolated message that is only formatted when the condition is false, so asserts on hot
    /// paths (faults, pmap lookups) cost a test and a branch, as Debug.Assert's handler does.
    /// </summary>
    public static void Kassert([DoesNotReturnIf(false)] bool condition, [InterpolatedStringHandlerArgument(nameof(condition))] ref KassertMessage message)
    {
        if (!condition) throw new KernelPanicException(message.ToStringAndClear());
    }
}

/// <summary>The message of a failed <see cref="Systm.Kassert(bool, ref KassertMessage)"/>: formatted only on failure.</summary>
[InterpolatedStringHandler]
public ref struct KassertMessage
{
    private DefaultInterpolatedStringHandler _inner;

    public KassertMessage(int literalLength, int formattedCount, bool condition, out bool shouldAppend)
    {
        shouldAppend = !condition;
        _inner = shouldAppend ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
    }

    public void AppendLiteral(string value) => _inner.AppendLiteral(value);
    public void AppendFormatted<T>(T value) => _inner.AppendFormatted(value);
    public void AppendFormatted<T>(T value, string? format) => _inner.AppendFormatted(value, format);
    public void AppendFormatted(string? value) => _inner.AppendFormatted(value);
    public string ToStringAndClear() => _inner.ToStringAndClear();
}
