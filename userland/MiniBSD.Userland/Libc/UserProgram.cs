using System.Buffers.Binary;
using System.Text;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Userland.Libc;

/// <summary>
/// A MiniBSD program and its C library: crt0 (<see cref="Start"/> runs <see cref="Main"/> and exits with what it
/// returns), system call wrappers with errno, strings in user memory, stdio-style output and malloc. Programs talk to
/// the kernel only through the system-call ABI (<see cref="Op.Syscall"/>) and their memory.
/// <para>
/// How to write one: <see cref="Main"/> is an iterator. A wrapper such as <c>Write(1, "hi\n")</c> returns the SVC to
/// yield; after <c>yield return</c>, <see cref="Ret"/> is the result, or -1 with <see cref="Errno"/> set. fork
/// copies this object with the frames, so fields and locals act like registers and memory: a value copied on fork.
/// A mutable host object (a List, a Dictionary) would be shared by parent and child; keep such state in emulated
/// memory, or copy it in <see cref="AtForkChild"/> (pthread_atfork's child handler), as the shell does.
/// </para>
/// </summary>
public abstract partial class UserProgram : IProgram
{
    /// <summary>The thread's registers and memory (fork points the child's copy at the child's thread).</summary>
    protected IUserContext Ctx = null!;

    /// <summary>errno: set by a failed wrapper.</summary>
    protected int Errno;

    /// <summary>argc, argv, envp and the stack pointer as the kernel left them.</summary>
    protected long Argc;
    protected ulong Argv, Envp, Sp;

    /// <summary>The program's arguments, read from user memory by crt0.</summary>
    protected string[] Args = [];

    /// <summary>A 64 KiB scratch area on the stack below the entry stack pointer: buffers handed to system calls.</summary>
    protected ulong Scratch;
    protected const int ScratchSize = 64 * 1024;

    /// <summary>Where system calls store their small results (wait status, pipe fds, struct timespec).</summary>
    protected ulong OutArea => Scratch;

    /// <summary>The buffer for read(2) and write(2) data.</summary>
    protected ulong Buffer => Scratch + 256;
    protected const int BufferSize = ScratchSize - 256;

    public IEnumerator<Op> Start(IUserContext context, long argc, ulong argv, ulong envp, ulong sp)
    {
        (Ctx, Argc, Argv, Envp, Sp) = (context, argc, argv, envp, sp);
        Scratch = (sp & ~0xFFFUL) - ScratchSize - 4096;
        return Crt0();
    }

    /// <summary>crt0's _start: read the arguments, run main, exit with its value.</summary>
    private IEnumerator<Op> Crt0()
    {
        Args = ReadVector(Argv, (int)Argc);
        yield return Op.Call(Main());
        yield return Op.Syscall(SysCall.Exit, Ctx.X0);
    }

    /// <summary>main(argc, argv): ends with <c>yield return Op.Return(status)</c> (or by calling <see cref="Exit"/>).</summary>
    protected abstract IEnumerator<Op> Main();

    /// <summary>pthread_atfork's child handler: runs in the child right after fork returns 0 there.</summary>
    protected virtual void AtForkChild() { }

    /// <summary>The result of the last system call: x0, or -1 with errno when PSTATE.C says it failed.</summary>
    protected long Ret
    {
        get
        {
            if (!Ctx.Carry) return Ctx.X0;
            Errno = (int)Ctx.X0;
            return -1;
        }
    }

    /// <summary>strerror for the last failure.</summary>
    protected string Strerror(int errno) => errno switch
    {
        (int)Kernel.Abi.Errno.ENOENT => "No such file or directory",
        (int)Kernel.Abi.Errno.EACCES => "Permission denied",
        (int)Kernel.Abi.Errno.EAGAIN => "Resource temporarily unavailable",
        (int)Kernel.Abi.Errno.ENOMEM => "Cannot allocate memory",
        (int)Kernel.Abi.Errno.E2BIG => "Argument list too long",
        (int)Kernel.Abi.Errno.EBADF => "Bad file descriptor",
        (int)Kernel.Abi.Errno.ECHILD => "No child processes",
        (int)Kernel.Abi.Errno.EFAULT => "Bad address",
        (int)Kernel.Abi.Errno.EINVAL => "Invalid argument",
        (int)Kernel.Abi.Errno.EPIPE => "Broken pipe",
        (int)Kernel.Abi.Errno.EROFS => "Read-only file system",
        (int)Kernel.Abi.Errno.ESRCH => "No such process",
        (int)Kernel.Abi.Errno.EINTR => "Interrupted system call",
        (int)Kernel.Abi.Errno.EPERM => "Operation not permitted",
        _ => ((Kernel.Abi.Errno)errno).ToString(),
    };

    // Memory: loads and stores at EL0 through the MMU (a fault the kernel cannot resolve is a signal).

    protected bool Store(ulong va, ReadOnlySpan<byte> bytes) => Ctx.Store(va, bytes);

    protected bool StoreLong(ulong va, long value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, value);
        return Ctx.Store(va, b);
    }

    protected long LoadLong(ulong va)
    {
        Span<byte> b = stackalloc byte[8];
        return Ctx.Load(va, b) ? BinaryPrimitives.ReadInt64LittleEndian(b) : 0;
    }

    protected int LoadInt(ulong va)
    {
        Span<byte> b = stackalloc byte[4];
        return Ctx.Load(va, b) ? BinaryPrimitives.ReadInt32LittleEndian(b) : 0;
    }

    protected byte[] LoadBytes(ulong va, int count)
    {
        var b = new byte[count];
        return Ctx.Load(va, b) ? b : [];
    }

    /// <summary>Stores a NUL-terminated string; returns the address after the NUL.</summary>
    protected ulong StoreString(ulong va, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s + "\0");
        Store(va, bytes);
        return va + (ulong)bytes.Length;
    }

    /// <summary>A NUL-terminated string from user memory (at most 4 KiB).</summary>
    protected string LoadString(ulong va)
    {
        var bytes = new List<byte>();
        Span<byte> b = stackalloc byte[1];
        while (bytes.Count < 4096 && Ctx.Load(va + (ulong)bytes.Count, b) && b[0] != 0) bytes.Add(b[0]);
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>count strings through a vector of pointers (argv, envp).</summary>
    protected string[] ReadVector(ulong vector, int count)
    {
        var strings = new string[count];
        for (int i = 0; i < count; i++) strings[i] = LoadString((ulong)LoadLong(vector + 8 * (ulong)i));
        return strings;
    }
}
