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
    /// KASSERT for hot paths: the message is a composite format (<c>"... {0:X} ..."</c>) filled in only on failure.
    /// Unlike an interpolated message, it leaves no formatting state in the caller (an interpolated string's handler
    /// is a local that slows a tight loop around it tenfold), and generic arguments are not boxed unless it fails.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Kassert<T1>([DoesNotReturnIf(false)] bool condition, string format, T1 a)
    {
        if (!condition) Fail(format, a, 0, 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Kassert<T1, T2>([DoesNotReturnIf(false)] bool condition, string format, T1 a, T2 b)
    {
        if (!condition) Fail(format, a, b, 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Kassert<T1, T2, T3>([DoesNotReturnIf(false)] bool condition, string format, T1 a, T2 b, T3 c)
    {
        if (!condition) Fail(format, a, b, c);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void Fail(string format, object? a, object? b, object? c) =>
        throw new KernelPanicException(string.Format(System.Globalization.CultureInfo.InvariantCulture, format, a, b, c));

    /// <summary>
    /// KASSERT with an interpolated message that is only formatted when the condition is false, as Debug.Assert's
    /// handler does. For code that runs once in a while; hot paths use the composite-format overloads above.
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
