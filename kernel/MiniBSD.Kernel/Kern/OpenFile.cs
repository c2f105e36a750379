namespace MiniBSD.Kernel.Kern;

/// <summary>f_type (sys/file.h): what a file is.</summary>
public enum DType : byte
{
    Vnode = 1,   // DTYPE_VNODE: a file or device
    Socket = 2,  // DTYPE_SOCKET
    Pipe = 3,    // DTYPE_PIPE
    Kqueue = 4,  // DTYPE_KQUEUE
}

/// <summary>f_flag bits (sys/fcntl.h): how the file was opened.</summary>
[Flags]
public enum FileFlags : byte
{
    None = 0,
    Read = 0x1,   // FREAD
    Write = 0x2,  // FWRITE
}

/// <summary>
/// struct fileops: what each kind of file does on read(2), write(2) and its last close. Each is a coroutine frame that
/// ends with <see cref="Op.Return"/> of the bytes moved (or 0 for close), or of -errno.
/// </summary>
public interface IFileOps
{
    IEnumerator<Op> Read(OpenFile fp, Uio uio);
    IEnumerator<Op> Write(OpenFile fp, Uio uio);
    IEnumerator<Op> Close(OpenFile fp);
}

/// <summary>
/// struct file (sys/file.h): an open file, shared by every descriptor that refers to it (after dup or fork);
/// f_count counts them and the last close runs the file's close operation.
/// </summary>
public sealed class OpenFile(DType type, FileFlags flag, IFileOps ops, object data)
{
    public DType Type { get; } = type;
    public FileFlags Flag { get; } = flag;
    public IFileOps Ops { get; } = ops;

    /// <summary>f_data: the object behind the file (a <see cref="Pipe"/>, a device).</summary>
    public object Data { get; } = data;

    /// <summary>f_offset: where the next read of a plain file starts (shared by every descriptor of the file).</summary>
    public long Offset { get; internal set; }

    /// <summary>f_count: descriptors (in every process) that refer to this file.</summary>
    public int Count { get; internal set; } = 1;

    public override string ToString() => $"{Type} {Flag} (f_count {Count})";
}
