using MiniBSD.Hal;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Dev;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Tests.Kernel;

/// <summary>Descriptor tables: lowest-free allocation, dup/dup2, access modes, f_count across fork, last close.</summary>
public sealed class KernDescripTests
{
    private static readonly PipeFileOps Pipes = new(copyCyclesPerPage: 512);

    /// <summary>Runs one frame to its end on a one-CPU machine and returns what it returned.</summary>
    private static long RunFrame(IEnumerator<Op> frame)
    {
        var m = new Machine(new MachineConfig { Cpus = 1, MemoryBytes = 16 * MachineConfig.MiB });
        var s = new Sched(m);
        Proc? p = null;
        long result = long.MinValue;
        IEnumerator<Op> Body()
        {
            yield return Op.Call(frame);
            result = p!.Retval;
        }
        p = s.Spawn("t", Body());
        s.Run();
        return result;
    }

    private static long Read(OpenFile fp, int n) => RunFrame(fp.Ops.Read(fp, new Uio(new byte[n], 0, n)));
    private static long Write(OpenFile fp, int n) => RunFrame(fp.Ops.Write(fp, new Uio(new byte[n], 0, n)));

    [Fact]
    public void Descriptors_are_the_lowest_free_and_run_out_at_OPEN_MAX()
    {
        var fdp = new FileDesc();
        var devnull = new DevNull();
        for (int i = 0; i < FileDesc.OPEN_MAX; i++)
        {
            Assert.Equal(Errno.None, fdp.Install(devnull.Open(FileFlags.Read), out int fd));
            Assert.Equal(i, fd);
        }
        Assert.Equal(Errno.EMFILE, fdp.Install(devnull.Open(FileFlags.Read), out int none));
        Assert.Equal(-1, none);
        Assert.Equal(Errno.None, fdp.Close(5, out var closed));
        Assert.NotNull(closed);
        Assert.Equal(Errno.None, fdp.Install(devnull.Open(FileFlags.Read), out int reused));
        Assert.Equal(5, reused);
    }

    [Fact]
    public void A_table_starts_at_NDFILE_grows_by_fdexpand_and_fork_copies_only_what_is_used()
    {
        var fdp = new FileDesc();
        var devnull = new DevNull();
        Assert.Equal(FileDesc.NDFILE, fdp.Slots);                                   // filedesc0's fd_dfiles
        for (int i = 0; i < FileDesc.NDFILE; i++) fdp.Install(devnull.Open(FileFlags.Read), out _);
        Assert.Equal(FileDesc.NDFILE, fdp.Slots);
        Assert.Equal(Errno.None, fdp.Install(devnull.Open(FileFlags.Read), out int fd20));
        Assert.Equal((20, FileDesc.NDEXTENT), (fd20, fdp.Slots));                  // fdexpand: NDEXTENT first
        Assert.Equal(Errno.None, fdp.Dup2(0, 55, out var displaced));
        Assert.Null(displaced);
        Assert.Equal(FileDesc.OPEN_MAX, fdp.Slots);                                // then doubling, capped at OPEN_MAX
        Assert.Equal(FileDesc.OPEN_MAX, fdp.Copy().Slots);                         // fd 55 open: the copy needs it all

        Assert.Equal(Errno.None, fdp.Close(55, out _));
        Assert.Equal(FileDesc.OPEN_MAX, fdp.Copy().Slots);                         // fd_lastfile 20: fdcopy halves only from 2*NDEXTENT
        for (int fd = 3; fd <= 20; fd++) fdp.Close(fd, out _);
        var small = fdp.Copy();
        Assert.Equal(FileDesc.NDFILE, small.Slots);                                // fd_lastfile < NDFILE: filedesc0 alone
        Assert.Equal(3, small.Open);
        Assert.Equal(Errno.EBADF, fdp.Dup2(0, FileDesc.OPEN_MAX, out _));
    }

    [Fact]
    public void Fdfree_drops_a_reference_to_a_shared_file_and_closes_the_last_one()
    {
        var parent = new FileDesc();
        var (r, w) = Pipes.Create();
        parent.Install(r, out _);
        parent.Install(w, out _);
        var child = parent.Copy();
        Assert.Equal(0L, RunFrame(child.FdFree()));                                // FRELE: both ends still open
        Assert.Equal((1, 1), (r.Count, w.Count));
        Assert.False(((Pipe)w.Data).WriterClosed);
        Assert.Equal(0L, RunFrame(parent.FdFree()));                               // the last references: fdrop
        Assert.Equal((0, 0), (r.Count, w.Count));
        Assert.True(((Pipe)w.Data).WriterClosed);
        Assert.True(((Pipe)r.Data).ReaderClosed);
    }

    [Fact]
    public void Bad_descriptors_and_wrong_modes_are_EBADF()
    {
        var fdp = new FileDesc();
        var (r, w) = Pipes.Create();
        fdp.Install(r, out int rfd);
        fdp.Install(w, out int wfd);
        Assert.Equal(Errno.EBADF, fdp.GetFile(rfd, FileFlags.Write, out _));   // write(2) on the read end
        Assert.Equal(Errno.EBADF, fdp.GetFile(wfd, FileFlags.Read, out _));
        Assert.Equal(Errno.None, fdp.GetFile(wfd, FileFlags.Write, out var got));
        Assert.Same(w, got);
        Assert.Equal(Errno.EBADF, fdp.GetFile(-1, FileFlags.None, out _));
        Assert.Equal(Errno.EBADF, fdp.GetFile(FileDesc.OPEN_MAX, FileFlags.None, out _));
        Assert.Equal(Errno.EBADF, fdp.GetFile(7, FileFlags.None, out _));
        Assert.Equal(Errno.EBADF, fdp.Close(7, out _));
        Assert.Equal(Errno.EBADF, fdp.Dup2(7, 3, out _));
        Assert.Equal(Errno.EBADF, fdp.Dup2(rfd, FileDesc.OPEN_MAX, out _));
        Assert.Equal(Errno.EBADF, fdp.Dup(9, out _));
    }

    [Fact]
    public void Dup2_shares_the_file_and_hands_back_what_it_displaced()
    {
        var fdp = new FileDesc();
        var devnull = new DevNull();
        var (r, w) = Pipes.Create();
        fdp.Install(devnull.Open(FileFlags.Read | FileFlags.Write), out _);   // 0
        fdp.Install(w, out int wfd);                                          // 1
        Assert.Equal(Errno.None, fdp.Dup2(wfd, 0, out var displaced));
        Assert.Equal(DType.Vnode, displaced!.Type);
        Assert.Equal(2, w.Count);
        Assert.Equal(Errno.None, fdp.Dup2(wfd, wfd, out var none));          // dup2(fd, fd) changes nothing
        Assert.Null(none);
        Assert.Equal(2, w.Count);
        Assert.Equal(Errno.None, fdp.Dup(wfd, out int third));
        Assert.Equal(2, third);
        Assert.Equal(3, w.Count);
        Assert.False(((Pipe)r.Data).WriterClosed);
    }

    [Fact]
    public void A_pipe_reads_end_of_file_only_after_every_descriptor_of_its_write_end_is_closed()
    {
        var parent = new FileDesc();
        var (r, w) = Pipes.Create();
        parent.Install(r, out int rfd);
        parent.Install(w, out int wfd);
        var child = parent.Copy();                                             // fork: f_count 2 on each end
        Assert.Equal((2, 2), (r.Count, w.Count));
        Assert.Equal(5L, Write(w, 5));

        parent.Close(wfd, out var pw);
        Assert.Equal(0L, RunFrame(FileDesc.Closef(pw!)));
        Assert.False(((Pipe)w.Data).WriterClosed);                             // the child still holds the write end
        Assert.Equal(5L, Read(r, 100));

        Assert.Equal(0L, RunFrame(child.FdFree()));                            // the child exits
        Assert.Equal(0, child.Open);
        Assert.True(((Pipe)w.Data).WriterClosed);
        Assert.Equal((1, 0), (r.Count, w.Count));
        Assert.Equal(0L, Read(r, 100));                                        // end of file
        parent.Close(rfd, out var pr);
        RunFrame(FileDesc.Closef(pr!));
        Assert.True(((Pipe)r.Data).ReaderClosed);
    }

    [Fact]
    public void Dev_null_reads_end_of_file_and_swallows_writes()
    {
        var fp = new DevNull().Open(FileFlags.Read | FileFlags.Write);
        Assert.Equal(0L, Read(fp, 10));
        var uio = new Uio(new byte[300], 0, 300);
        Assert.Equal(300L, RunFrame(fp.Ops.Write(fp, uio)));
        Assert.Equal((0, 300), (uio.Resid, uio.Offset));
    }

    [Fact]
    public void Console_writes_reach_the_UART_from_the_writing_threads_cpu_and_reads_see_end_of_file()
    {
        var k = new KernelFixture(cpus: 2);
        var s = new Sched(k.Machine);
        var cons = new Cons(k.Machine).Open(FileFlags.Read | FileFlags.Write);
        byte[] text = "hello, world\n"u8.ToArray();
        var results = new List<long>();
        Proc? p = null;
        IEnumerator<Op> Body()
        {
            yield return Op.Call(cons.Ops.Write(cons, new Uio(text, 0, text.Length, p)));
            results.Add(p!.Retval);
            yield return Op.Call(cons.Ops.Read(cons, new Uio(new byte[8], 0, 8, p)));
            results.Add(p!.Retval);
        }
        long before = k.Cpu(1).Counters.DeviceAccesses;
        p = s.Spawn("writer", Body(), 1);
        s.Run();
        Assert.Equal([(long)text.Length, 0L], results);
        Assert.EndsWith("hello, world\n", k.Machine.Console.Output);
        Assert.Equal(2 * text.Length, k.Cpu(1).Counters.DeviceAccesses - before);   // UARTFR then UARTDR per byte
        k.AssertCleanAndNoLeaks();
    }
}
