using System.Runtime.CompilerServices;

namespace MiniBSD.Hal.Mmu;

/// <summary>
/// An interpolated string that is only formatted when a <see cref="WalkTrace"/> is recording, so the walker can
/// say why it stopped without allocating on the untraced (hot) path, as Debug.Assert's handler does.
/// </summary>
[InterpolatedStringHandler]
public ref struct TraceMessage
{
    private DefaultInterpolatedStringHandler _inner;

    public TraceMessage(int literalLength, int formattedCount, WalkTrace? trace, out bool shouldAppend)
    {
        shouldAppend = trace is not null;
        _inner = shouldAppend ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
    }

    public void AppendLiteral(string value) => _inner.AppendLiteral(value);
    public void AppendFormatted<T>(T value) => _inner.AppendFormatted(value);
    public void AppendFormatted<T>(T value, string? format) => _inner.AppendFormatted(value, format);
    public void AppendFormatted(string? value) => _inner.AppendFormatted(value);
    public string ToStringAndClear() => _inner.ToStringAndClear();
}
