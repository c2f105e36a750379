using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Dev;

namespace MiniBSD.Kernel.Kern;

/// <summary>
/// The descriptor system calls: sys_read and sys_write (sys_generic.c), sys_open (vfs_syscalls.c; MiniBSD's only
/// files are /dev/console and /dev/null), sys_close, sys_dup and sys_dup2 (kern_descrip.c), sys_pipe and sys_pipe2
/// (sys_pipe.c). Data moves between user memory and a kernel buffer with copyin/copyout, so a bad pointer is EFAULT.
/// </summary>
public sealed class FileSyscalls(Uvm.Uvm uvm, Sched sched, Cons cons, DevNull devNull, PipeFileOps pipes, VfsFileOps files, ProgramRegistry programs)
{
    /// <summary>The most one read(2) moves (a short read is allowed; sh and cat loop).</summary>
    public const int MaxIo = 64 * 1024;

    public void Register(Sysent s)
    {
        s.Add(SysCall.Read, SysRead);
        s.Add(SysCall.Write, SysWrite);
        s.Add(SysCall.Open, SysOpen);
        s.Add(SysCall.Close, SysClose);
        s.Add(SysCall.Dup, SysDup);
        s.Add(SysCall.Dup2, SysDup2);
        s.Add(SysCall.Pipe, SysPipe2);
        s.Add(SysCall.Pipe2, SysPipe2);
    }

    /// <summary>sys_read(fd, buf, nbyte): EBADF unless open for reading, EINVAL for a negative count.</summary>
    private IEnumerator<Op> SysRead(Proc p, SyscallArgs a)
    {
        var error = p.Process!.Fd!.GetFile((int)a.A0, FileFlags.Read, out var fp);
        if (error == Errno.None && a.A2 < 0) error = Errno.EINVAL;
        if (error != Errno.None)
        {
            yield return Op.Return(-(long)error);
            yield break;
        }
        var buffer = new byte[Math.Min(a.A2, MaxIo)];
        var uio = new Uio(buffer, 0, buffer.Length, p);
        yield return Op.Call(fp!.Ops.Read(fp, uio));
        long n = p.Retval;
        if (n > 0 && Copy.Copyout(uvm, p, buffer.AsSpan(0, (int)n), (ulong)a.A1) != Errno.None) n = -(long)Errno.EFAULT;
        yield return Op.Return(n);
    }

    /// <summary>
    /// sys_write(fd, buf, nbyte): EBADF unless open for writing; EFAULT if the buffer cannot be read; EPIPE (and
    /// SIGPIPE, as dofilewrite posts it) when a pipe has no reader.
    /// </summary>
    private IEnumerator<Op> SysWrite(Proc p, SyscallArgs a)
    {
        var error = p.Process!.Fd!.GetFile((int)a.A0, FileFlags.Write, out var fp);
        if (error == Errno.None && a.A2 < 0) error = Errno.EINVAL;
        var buffer = error == Errno.None ? new byte[Math.Min(a.A2, MaxIo)] : [];
        if (error == Errno.None) error = Copy.Copyin(uvm, p, (ulong)a.A1, buffer);
        if (error != Errno.None)
        {
            yield return Op.Return(-(long)error);
            yield break;
        }
        yield return Op.Call(fp!.Ops.Write(fp, new Uio(buffer, 0, buffer.Length, p)));
        if (p.Retval == -(long)Errno.EPIPE) KernSigPost.Ptsignal(sched, p.Process, Signal.SIGPIPE, uvm.Machine.Cpu(p.Cpu).Clock);
        yield return Op.Return(p.Retval);
    }

    /// <summary>
    /// sys_open(path, flags): /dev/console, /dev/null and the registry's plain files (read only); ENOENT for a path
    /// that names nothing, EROFS for writing or creating a file (MiniBSD has no writable file system), EACCES for a
    /// program file (execute only), EINVAL for O_ACCMODE 3.
    /// </summary>
    private IEnumerator<Op> SysOpen(Proc p, SyscallArgs a)
    {
        var error = Copy.Copyinstr(uvm, p, (ulong)a.A0, Fcntl.PATH_MAX, out string path);
        int flags = (int)a.A1;
        var access = (flags & Fcntl.O_ACCMODE) switch
        {
            Fcntl.O_RDONLY => FileFlags.Read,
            Fcntl.O_WRONLY => FileFlags.Write,
            Fcntl.O_RDWR => FileFlags.Read | FileFlags.Write,
            _ => FileFlags.None,
        };
        if (error == Errno.None && access == FileFlags.None) error = Errno.EINVAL;
        OpenFile? fp = null;
        if (error == Errno.None)
        {
            fp = path switch
            {
                "/dev/console" or "/dev/tty" => cons.Open(access),
                "/dev/null" => devNull.Open(access),
                _ => null,
            };
            var file = fp is null ? programs.LookupFile(path) : null;
            if (file is not null && access == FileFlags.Read) fp = files.Open(file);
            else if (fp is null)
                error = file is not null ? Errno.EROFS
                    : programs.Lookup(path) is not null ? Errno.EACCES
                    : (flags & Fcntl.O_CREAT) != 0 ? Errno.EROFS : Errno.ENOENT;
        }
        int fd = -1;
        if (error == Errno.None) error = Fdalloc(p.Process!.Fd!, fp!, out fd);
        yield return Op.Return(error == Errno.None ? fd : -(long)error);
    }

    /// <summary>sys_close(fd): EBADF for a descriptor that is not open.</summary>
    private IEnumerator<Op> SysClose(Proc p, SyscallArgs a)
    {
        var error = p.Process!.Fd!.Close((int)a.A0, out var fp);
        if (error == Errno.None) yield return Op.Call(FileDesc.Closef(fp!));
        yield return Op.Return(-(long)error);
    }

    /// <summary>sys_dup(fd): the lowest free descriptor; EBADF, EMFILE.</summary>
    private IEnumerator<Op> SysDup(Proc p, SyscallArgs a)
    {
        int fd = -1;
        var error = uvm.Pages.FailPoints.Fail(FailSite.Fdalloc) ? Errno.EMFILE : p.Process!.Fd!.Dup((int)a.A0, out fd);
        yield return Op.Return(error == Errno.None ? fd : -(long)error);
    }

    /// <summary>sys_dup2(from, to): returns to; what to held is closed; EBADF for a bad descriptor either side.</summary>
    private IEnumerator<Op> SysDup2(Proc p, SyscallArgs a)
    {
        var error = p.Process!.Fd!.Dup2((int)a.A0, (int)a.A1, out var displaced);
        if (displaced is not null) yield return Op.Call(FileDesc.Closef(displaced));
        yield return Op.Return(error == Errno.None ? a.A1 : -(long)error);
    }

    /// <summary>
    /// sys_pipe(fds) and sys_pipe2(fds, flags): two descriptors, [0] the read end, [1] the write end, stored as two
    /// ints at fds. EINVAL for flags other than O_CLOEXEC|O_NONBLOCK (which MiniBSD accepts and ignores: it has
    /// no exec-closing and no non-blocking I/O); EMFILE; EFAULT (both descriptors closed again).
    /// </summary>
    private IEnumerator<Op> SysPipe2(Proc p, SyscallArgs a)
    {
        if (p.Syscall == SysCall.Pipe2 && (a.A1 & ~(long)(Fcntl.O_CLOEXEC | Fcntl.O_NONBLOCK)) != 0)
        {
            yield return Op.Return(-(long)Errno.EINVAL);
            yield break;
        }
        var fdp = p.Process!.Fd!;
        if (uvm.Pages.FailPoints.Fail(FailSite.Pipe))
        {
            yield return Op.Return(-(long)Errno.ENFILE);   // falloc: the system's file table is full
            yield break;
        }
        var (rf, wf) = pipes.Create();
        var error = Fdalloc(fdp, rf, out int rfd);
        int wfd = -1;
        if (error == Errno.None && (error = Fdalloc(fdp, wf, out wfd)) != Errno.None) fdp.Close(rfd, out _);
        Span<byte> fds = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(fds, rfd);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(fds[4..], wfd);
        if (error == Errno.None && (error = Copy.Copyout(uvm, p, fds, (ulong)a.A0)) != Errno.None)
        {
            fdp.Close(rfd, out _);
            fdp.Close(wfd, out _);
        }
        if (error != Errno.None)
        {
            yield return Op.Call(FileDesc.Closef(rf));
            yield return Op.Call(FileDesc.Closef(wf));
        }
        yield return Op.Return(-(long)error);
    }

    /// <summary>fdalloc + fdinsert, where fault injection may answer EMFILE.</summary>
    private Errno Fdalloc(FileDesc fdp, OpenFile fp, out int fd)
    {
        fd = -1;
        return uvm.Pages.FailPoints.Fail(FailSite.Fdalloc) ? Errno.EMFILE : fdp.Install(fp, out fd);
    }
}
