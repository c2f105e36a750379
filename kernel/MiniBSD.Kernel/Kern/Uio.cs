namespace MiniBSD.Kernel.Kern;

/// <summary>
/// struct uio (sys/uio.h) for one kernel buffer (UIO_SYSSPACE, a single iovec): what is left to move and where.
/// <see cref="MoveIn"/> and <see cref="MoveOut"/> move bytes between it and a kernel object and advance it, as
/// uiomove(9) does.
/// </summary>
public sealed class Uio(byte[] buffer, int offset, int count, Proc? procp = null)
{
    public byte[] Buffer { get; } = buffer;

    /// <summary>uio_procp: the thread doing the I/O (a device that touches hardware runs on its CPU).</summary>
    public Proc? Procp { get; } = procp;

    /// <summary>Where the next byte goes to or comes from in <see cref="Buffer"/>.</summary>
    public int Offset { get; private set; } = offset;

    /// <summary>uio_resid: bytes still to move.</summary>
    public int Resid { get; private set; } = count;

    /// <summary>Copies min(<paramref name="kernel"/>.Length, resid) bytes out of the uio (a write moves data in).</summary>
    public int MoveOut(Span<byte> kernel)
    {
        int n = Math.Min(kernel.Length, Resid);
        Buffer.AsSpan(Offset, n).CopyTo(kernel);
        Advance(n);
        return n;
    }

    /// <summary>Copies min(<paramref name="kernel"/>.Length, resid) bytes into the uio (a read moves data out).</summary>
    public int MoveIn(ReadOnlySpan<byte> kernel)
    {
        int n = Math.Min(kernel.Length, Resid);
        kernel[..n].CopyTo(Buffer.AsSpan(Offset, n));
        Advance(n);
        return n;
    }

    /// <summary>Consumes what is left without moving it (a sink such as /dev/null).</summary>
    public void Discard() => Advance(Resid);

    private void Advance(int n)
    {
        Offset += n;
        Resid -= n;
    }
}
