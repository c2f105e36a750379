namespace MiniBSD.Kernel.Kern;

/// <summary>
/// vnops for a read-only plain file of the registry (vn_read over a file's bytes): a read moves bytes from f_offset
/// and advances it; 0 at the end. Opened for reading only (open refuses writing with EROFS).
/// </summary>
public sealed class VfsFileOps(long copyCyclesPerPage) : IFileOps
{
    public IEnumerator<Op> Read(OpenFile fp, Uio uio)
    {
        var contents = (byte[])fp.Data;
        int start = (int)Math.Min(fp.Offset, contents.Length);
        int n = uio.MoveIn(contents.AsSpan(start));
        fp.Offset += n;
        yield return Op.Work((n * copyCyclesPerPage + 4095) / 4096);
        yield return Op.Return(n);
    }

    public IEnumerator<Op> Write(OpenFile fp, Uio uio)
    {
        yield return Op.Return(-(long)Abi.Errno.EBADF);
    }

    public IEnumerator<Op> Close(OpenFile fp)
    {
        yield return Op.Return(0);
    }

    public OpenFile Open(byte[] contents) => new(DType.Vnode, FileFlags.Read, this, contents);
}
