using MiniBSD.Hal;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Tests.Kernel;

/// <summary>pipe_read / pipe_write / pipe_close: blocking, end of file, EPIPE, PIPE_BUF atomicity, the ring's wrap.</summary>
public sealed class SysPipeTests
{
    private const long CopyPerPage = 512;

    private static (Machine M, Sched S) World(int cpus = 2)
    {
        var m = new Machine(new MachineConfig { Cpus = cpus, MemoryBytes = 16 * MachineConfig.MiB });
        return (m, new Sched(m, new SchedParams(ContextSwitchCycles: 0)));
    }

    /// <summary>A thread that runs one pipe frame per step of <paramref name="steps"/> and records what each returned.</summary>
    private static Proc Thread(Sched s, string name, int cpu, List<long> results, params Func<IEnumerator<Op>>[] steps)
    {
        Proc? p = null;
        IEnumerator<Op> Body()
        {
            foreach (var step in steps)
            {
                yield return Op.Call(step());
                results.Add(p!.Retval);
            }
        }
        p = s.Spawn(name, Body(), cpu);
        return p;
    }

    private static byte[] Pattern(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 7 + i / 251)).ToArray();

    [Fact]
    public void A_large_write_streams_through_the_ring_to_a_reader_in_order_and_then_reads_end_of_file()
    {
        var (_, s) = World();
        var pipe = new Pipe();
        byte[] data = Pattern(3 * SysPipe.PIPE_SIZE + 1234), got = new byte[data.Length + 1];
        var written = new List<long>();
        var read = new List<long>();
        Thread(s, "writer", 0, written,
            () => SysPipe.PipeWrite(pipe, new Uio(data, 0, data.Length), CopyPerPage),
            () => SysPipe.PipeClose(pipe, readEnd: false));
        int offset = 0;
        IEnumerator<Op> ReadChunk()   // 3000 bytes at a time: never a divisor of PIPE_SIZE, so reads straddle the wrap
        {
            var uio = new Uio(got, offset, Math.Min(3000, got.Length - offset));
            var frame = SysPipe.PipeRead(pipe, uio, CopyPerPage);
            while (frame.MoveNext())
            {
                if (frame.Current.Kind == OpKind.Return) offset = uio.Offset;   // the Return ends this frame too
                yield return frame.Current;
            }
        }
        var reads = Enumerable.Repeat<Func<IEnumerator<Op>>>(ReadChunk, data.Length / 3000 + 2).ToArray();
        Thread(s, "reader", 1, read, reads);
        s.Run();
        Assert.Equal([(long)data.Length, 0L], written);
        Assert.Equal(data.Length, read.Sum());
        Assert.Equal(0L, read[^1]);                                  // end of file once the writer closed
        Assert.Equal(data, got[..data.Length]);
        Assert.Equal(0, pipe.Count);
    }

    [Fact]
    public void A_read_returns_what_is_buffered_without_waiting_for_more()
    {
        var (_, s) = World(1);
        var pipe = new Pipe();
        var results = new List<long>();
        byte[] buf = new byte[100];
        Thread(s, "t", 0, results,
            () => SysPipe.PipeWrite(pipe, new Uio(Pattern(10), 0, 10), CopyPerPage),
            () => SysPipe.PipeRead(pipe, new Uio(buf, 0, 100), CopyPerPage));
        s.Run();
        Assert.Equal([10L, 10L], results);
        Assert.Equal(Pattern(10), buf[..10]);
    }

    [Fact]
    public void A_reader_waiting_on_an_empty_pipe_reads_end_of_file_when_the_writer_closes()
    {
        var (_, s) = World();
        var pipe = new Pipe();
        var readerResults = new List<long>();
        var reader = Thread(s, "reader", 1, readerResults, () => SysPipe.PipeRead(pipe, new Uio(new byte[8], 0, 8), CopyPerPage));
        IEnumerator<Op> Closer()
        {
            yield return Op.Work(10_000);
            yield return Op.Call(SysPipe.PipeClose(pipe, readEnd: false));
        }
        s.Spawn("closer", Closer(), 0);
        s.Run();
        Assert.Equal([0L], readerResults);
        Assert.Equal(ProcState.Dead, reader.State);
    }

    [Fact]
    public void Writing_to_a_pipe_without_a_reader_is_EPIPE_even_for_a_writer_already_waiting()
    {
        var (_, s) = World();
        var pipe = new Pipe();
        var results = new List<long>();
        byte[] big = Pattern(SysPipe.PIPE_SIZE + 100);
        Thread(s, "writer", 0, results,
            () => SysPipe.PipeWrite(pipe, new Uio(big, 0, big.Length), CopyPerPage),   // fills the ring, then waits
            () => SysPipe.PipeWrite(pipe, new Uio(big, 0, 1), CopyPerPage));
        IEnumerator<Op> Closer()
        {
            yield return Op.Work(1_000_000);
            yield return Op.Call(SysPipe.PipeClose(pipe, readEnd: true));
        }
        s.Spawn("closer", Closer(), 1);
        s.Run();
        Assert.Equal([-(long)Errno.EPIPE, -(long)Errno.EPIPE], results);
        Assert.Equal(SysPipe.PIPE_SIZE, pipe.Count);                 // the first PIPE_SIZE bytes went in before it waited
    }

    [Fact]
    public void A_write_of_at_most_PIPE_BUF_bytes_is_never_split_but_a_larger_one_is()
    {
        var (_, s) = World();
        var pipe = new Pipe();
        int fill = SysPipe.PIPE_SIZE - 100;                          // leaves 100 bytes of room
        var results = new List<long>();
        int countSeenByLargeWriter = -1;
        Thread(s, "filler", 0, results, () => SysPipe.PipeWrite(pipe, new Uio(Pattern(fill), 0, fill), CopyPerPage));
        IEnumerator<Op> SmallThenLarge()
        {
            yield return Op.Work(1_000_000);                         // after the filler
            var small = SysPipe.PipeWrite(pipe, new Uio(Pattern(SysPipe.PIPE_BUF), 0, SysPipe.PIPE_BUF), CopyPerPage);
            small.MoveNext();                                        // runs up to its first request: it must wait
            Assert.Equal(OpKind.Sleep, small.Current.Kind);
            Assert.Equal(fill, pipe.Count);                          // nothing of it went in
            var large = SysPipe.PipeWrite(pipe, new Uio(Pattern(1000), 0, 1000), CopyPerPage);
            large.MoveNext();                                        // a non-atomic write takes the 100 bytes first
            Assert.Equal(OpKind.Work, large.Current.Kind);
            countSeenByLargeWriter = pipe.Count;
            small.Dispose();
            large.Dispose();
        }
        s.Spawn("writer", SmallThenLarge(), 1);
        s.Run();
        Assert.Equal([(long)fill], results);
        Assert.Equal(SysPipe.PIPE_SIZE, countSeenByLargeWriter);
    }

    [Fact]
    public void Moving_bytes_costs_the_frame_copy_rate_pro_rata()
    {
        var (m, s) = World(1);
        var pipe = new Pipe();
        Thread(s, "t", 0, [], () => SysPipe.PipeWrite(pipe, new Uio(Pattern(8192), 0, 8192), CopyPerPage));
        s.Run();
        Assert.Equal(2 * CopyPerPage, m.Cpus[0].Clock);              // two pages' worth at 512 cycles each
    }
}
