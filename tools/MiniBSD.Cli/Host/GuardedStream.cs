namespace MiniBSD.Cli.Host;

/// <summary>
/// Standard output (or error) as the command writes it: bytes pass through unchanged, and the first failure of the
/// host stream (a full disk, a closed descriptor, a reader that went away) is kept instead of thrown, and everything
/// after it is dropped. The emulated machine behind the console never sees a host error; the command reports
/// <see cref="Failure"/> once, at its end. Bytes are line-buffered, as stdio buffers a terminal: the console's
/// bytes come one at a time, and a host write each would cost a system call a byte.
/// </summary>
public sealed class GuardedStream(Stream? inner) : Stream
{
    private Stream? _inner = inner;
    private readonly byte[] _line = new byte[4096];
    private int _used;

    /// <summary>Why writing stopped, in a few words ("No space left on device"), or null while all went through.</summary>
    public string? Failure { get; private set; } = inner is null ? "standard output is closed" : null;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        foreach (byte b in buffer) WriteByte(b);
    }

    public override void WriteByte(byte value)
    {
        if (_inner is null) return;
        _line[_used++] = value;
        if (value == (byte)'\n' || _used == _line.Length) Flush();
    }

    public override void Flush()
    {
        if (_inner is null) return;
        try
        {
            _inner.Write(_line, 0, _used);
            _inner.Flush();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException) { Fail(e); }
        _used = 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Flush();
        base.Dispose(disposing);
    }

    private void Fail(Exception e)
    {
        // .NET reports EBADF (a closed descriptor) as UnauthorizedAccessException "Access to the path is denied".
        Failure ??= e is UnauthorizedAccessException or ObjectDisposedException ? "standard output is closed" : e.Message;
        _inner = null;
    }

    /// <summary>Opens a host standard stream, or null where the descriptor is closed.</summary>
    public static GuardedStream Open(Func<Stream> open)
    {
        try { return new GuardedStream(open()); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return new GuardedStream(null); }
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
