using MiniBSD.Kernel.Kern;

namespace MiniBSD.Kernel.Dev;

/// <summary>/dev/null (mm(4), dev/mem.c minor 2): reads see end of file, writes are accepted whole and discarded.</summary>
public sealed class DevNull : IFileOps
{
    public IEnumerator<Op> Read(OpenFile fp, Uio uio)
    {
        yield return Op.Return(0);
    }

    public IEnumerator<Op> Write(OpenFile fp, Uio uio)
    {
        int n = uio.Resid;
        uio.Discard();   // mmrw: the whole request is consumed, nothing is copied
        yield return Op.Return(n);
    }

    public IEnumerator<Op> Close(OpenFile fp)
    {
        yield return Op.Return(0);
    }

    /// <summary>An open of /dev/null with the given access.</summary>
    public OpenFile Open(FileFlags flag) => new(DType.Vnode, flag, this, this);
}
