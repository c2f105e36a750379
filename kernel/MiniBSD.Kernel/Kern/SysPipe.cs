using MiniBSD.Kernel.Abi;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Kern;

/// <summary>
/// struct pipe (sys/pipe.h): a ring buffer of <see cref="SysPipe.PIPE_SIZE"/> bytes between a read end and a write end,
/// and the PIPE_WANTR/PIPE_WANTW flags saying who sleeps on it. Locks: [p] the pipe's frames run under KERNEL_LOCK.
/// </summary>
public sealed class Pipe
{
    internal readonly byte[] Buffer = new byte[SysPipe.PIPE_SIZE];
    internal int In;     // [p] next byte written goes here
    internal int Out;    // [p] next byte read comes from here

    /// <summary>[p] pipe_buffer.cnt: bytes waiting to be read.</summary>
    public int Count { get; internal set; }

    public bool ReaderClosed { get; internal set; }
    public bool WriterClosed { get; internal set; }

    internal bool WantRead;   // PIPE_WANTR: a reader sleeps on ReadChannel
    internal bool WantWrite;  // PIPE_WANTW: a writer sleeps on WriteChannel

    /// <summary>The wait channels ("piperd" and "pipewr" in OpenBSD's tsleep calls).</summary>
    internal readonly object ReadChannel = new(), WriteChannel = new();

    public int Space => Buffer.Length - Count;
}

/// <summary>
/// sys_pipe.c: pipe_read, pipe_write and pipe_close as coroutine frames. A frame ends with <see cref="Op.Return"/> of
/// the bytes moved, or of -errno (EPIPE when the other end is closed; the system call layer then posts SIGPIPE, as
/// dofilewrite does).
/// </summary>
public static class SysPipe
{
    /// <summary>PIPE_SIZE (sys/pipe.h): the buffer size.</summary>
    public const int PIPE_SIZE = 16384;

    /// <summary>PIPE_BUF (sys/syslimits.h): writes of at most this many bytes are atomic (POSIX).</summary>
    public const int PIPE_BUF = 512;

    /// <summary>
    /// pipe_read: moves what is buffered; sleeps only while nothing has been read yet, the buffer is empty and a
    /// writer remains; returns 0 at end of file.
    /// </summary>
    public static IEnumerator<Op> PipeRead(Pipe pipe, Uio uio, long copyCyclesPerPage)
    {
        int nread = 0;
        while (uio.Resid > 0)
        {
            if (pipe.Count > 0)
            {
                int n = MoveOut(pipe, uio);
                nread += n;
                yield return Op.Work(CopyCycles(n, copyCyclesPerPage));
                if (pipe.WantWrite)                        // room for a sleeping writer now
                {
                    pipe.WantWrite = false;
                    yield return Op.Wakeup(pipe.WriteChannel);
                }
                continue;
            }
            if (pipe.WriterClosed || nread > 0) break;     // PIPE_EOF, or a short read of what was there
            pipe.WantRead = true;
            yield return Op.SleepCatch(pipe.ReadChannel);   // "piperd", PCATCH
        }
        yield return Op.Return(nread);
    }

    /// <summary>
    /// pipe_write: EPIPE once the reader has closed; otherwise moves what fits, waking a sleeping reader, and sleeps
    /// while the buffer is full. A write of at most PIPE_BUF bytes waits until it fits whole, so it is never split.
    /// </summary>
    public static IEnumerator<Op> PipeWrite(Pipe pipe, Uio uio, long copyCyclesPerPage)
    {
        int original = uio.Resid;
        while (uio.Resid > 0)
        {
            if (pipe.ReaderClosed)
            {
                yield return Op.Return(-(long)Errno.EPIPE);
                yield break;
            }
            int space = pipe.Space;
            if (space < uio.Resid && original <= PIPE_BUF) space = 0;   // atomic: all or wait
            if (space > 0)
            {
                int n = MoveIn(pipe, uio, space);
                yield return Op.Work(CopyCycles(n, copyCyclesPerPage));
                if (pipe.WantRead)
                {
                    pipe.WantRead = false;
                    yield return Op.Wakeup(pipe.ReadChannel);
                }
                continue;
            }
            pipe.WantWrite = true;
            yield return Op.SleepCatch(pipe.WriteChannel);  // "pipewr", PCATCH
        }
        yield return Op.Return(original);
    }

    /// <summary>
    /// pipe_close for one end: the other side learns of it (a reader sees end of file, a writer EPIPE) and any
    /// sleeper on the pipe is woken to notice. Returns 0.
    /// </summary>
    public static IEnumerator<Op> PipeClose(Pipe pipe, bool readEnd)
    {
        if (readEnd)
        {
            Kassert(!pipe.ReaderClosed, "pipe_close: read end closed twice");
            pipe.ReaderClosed = true;
        }
        else
        {
            Kassert(!pipe.WriterClosed, "pipe_close: write end closed twice");
            pipe.WriterClosed = true;
        }
        if (pipe.WantRead) { pipe.WantRead = false; yield return Op.Wakeup(pipe.ReadChannel); }
        if (pipe.WantWrite) { pipe.WantWrite = false; yield return Op.Wakeup(pipe.WriteChannel); }
        yield return Op.Return(0);
    }

    private static int MoveOut(Pipe pipe, Uio uio)
    {
        int total = 0;
        while (pipe.Count > 0 && uio.Resid > 0)        // at most two pieces: up to the end of the ring, then from 0
        {
            int contiguous = Math.Min(pipe.Count, pipe.Buffer.Length - pipe.Out);
            int n = uio.MoveIn(pipe.Buffer.AsSpan(pipe.Out, contiguous));
            pipe.Out = (pipe.Out + n) % pipe.Buffer.Length;
            pipe.Count -= n;
            total += n;
        }
        if (pipe.Count == 0) pipe.In = pipe.Out = 0;   // as pipe_read resets an empty buffer
        return total;
    }

    private static int MoveIn(Pipe pipe, Uio uio, int space)
    {
        int total = 0;
        while (total < space && uio.Resid > 0)
        {
            int contiguous = Math.Min(space - total, pipe.Buffer.Length - pipe.In);
            int n = uio.MoveOut(pipe.Buffer.AsSpan(pipe.In, contiguous));
            pipe.In = (pipe.In + n) % pipe.Buffer.Length;
            pipe.Count += n;
            total += n;
        }
        return total;
    }

    /// <summary>Copy cost: the cost table's frame copy, pro rata by bytes, rounded up.</summary>
    private static long CopyCycles(int bytes, long perPage) => (bytes * perPage + 4095) / 4096;
}
