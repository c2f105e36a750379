using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Userland.Libc;

/// <summary>
/// Host memory a program holds (the strings and lists its C# keeps: a shell's variables, a command substitution's
/// output) charged to the emulated machine. A MiniBSD program runs as host code, so what it keeps in host objects
/// is not in its address space; left uncharged, <c>x=a; while :; do x="$x$x"; done</c> grows the host without bound.
/// So every byte held is matched by a byte of the data segment, grown with obreak and written, page by page, so the
/// frames behind it come from the machine's RAM: the program meets ENOMEM from obreak at its data limit, or is
/// killed as out of swap when RAM runs out, as one that mallocs would. The two figures are fields, which fork
/// copies like registers, so a child goes on from its own copy (of the segment too).
/// </summary>
public abstract partial class UserProgram
{
    /// <summary>Bytes charged at a time: the segment grows in these steps.</summary>
    private const long HostChunk = 64 * 1024;

    /// <summary>Bytes of host memory charged now (what the program holds).</summary>
    protected long HostHeld { get; private set; }

    /// <summary>Bytes of data segment written and set aside for them.</summary>
    private long _hostReserved;

    /// <summary>
    /// Sets the charge to <paramref name="bytes"/> when the segment already covers it (no system call, no access);
    /// false when it must grow first (then <see cref="HostCharge"/>).
    /// </summary>
    protected bool HostSet(long bytes)
    {
        if (bytes > _hostReserved) return false;
        HostHeld = Math.Max(0, bytes);
        return true;
    }

    /// <summary>
    /// Charges <paramref name="bytes"/> more of host memory (a frame; Ret 0, or -1 with ENOMEM and nothing charged).
    /// A UTF-16 string of n characters is 2n bytes.
    /// </summary>
    protected Op HostCharge(long bytes) => Op.Call(HostChargeFrame(bytes));

    /// <summary>Gives back <paramref name="bytes"/> the program no longer holds; the segment stays, for reuse.</summary>
    protected void HostRelease(long bytes) => HostHeld = Math.Max(0, HostHeld - bytes);

    private IEnumerator<Op> HostChargeFrame(long bytes)
    {
        long held = HostHeld + Math.Max(0, bytes), reserved = _hostReserved;
        while (held > reserved)
        {
            long size = Math.Max(HostChunk, (held - reserved + HostChunk - 1) / HostChunk * HostChunk);
            yield return Malloc(size);
            long start = Ret;
            if (start < 0)
            {
                Errno = (int)Kernel.Abi.Errno.ENOMEM;
                yield return Op.Return(-1);
                yield break;
            }
            // Write each page, so frames are taken now (a fault that finds no memory kills the program here).
            for (long page = 0; page < size; page += 4096)
                if (!StoreLong((ulong)(start + page), held))
                {
                    yield return Op.Return(-1);   // killed or faulted: the signal acts at this yield
                    yield break;
                }
            reserved += size;
            _hostReserved = reserved;
        }
        HostHeld = held;
        yield return Op.Return(0);
    }
}
