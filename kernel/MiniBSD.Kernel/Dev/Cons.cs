using MiniBSD.Hal;
using MiniBSD.Kernel.Kern;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Dev;

/// <summary>
/// /dev/console (dev/cons.c): writes go byte by byte to the PL011 through <see cref="Pl011Console.Cnputc"/> on the
/// CPU of the writing thread (uio_procp), each a costed device access; reads see end of file, since the emulated
/// UART has no input attached (its receive FIFO is always empty).
/// </summary>
public sealed class Cons(Machine machine) : IFileOps
{
    public IEnumerator<Op> Read(OpenFile fp, Uio uio)
    {
        yield return Op.Return(0);
    }

    public IEnumerator<Op> Write(OpenFile fp, Uio uio)
    {
        Kassert(uio.Procp is not null, "cnwrite: no thread to run the write on");
        var cpu = machine.Cpu(uio.Procp!.Cpu);
        int n = uio.Resid;
        foreach (byte b in uio.Buffer.AsSpan(uio.Offset, n)) Pl011Console.Cnputc(cpu, b);
        uio.Discard();
        yield return Op.Return(n);
    }

    public IEnumerator<Op> Close(OpenFile fp)
    {
        yield return Op.Return(0);
    }

    /// <summary>An open of /dev/console with the given access.</summary>
    public OpenFile Open(FileFlags flag) => new(DType.Vnode, flag, this, this);
}
