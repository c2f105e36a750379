using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Userland.Libc;

/// <summary>stdio and stdlib in miniature: whole-string writes that loop over short writes, warnings, malloc.</summary>
public abstract partial class UserProgram
{
    /// <summary>Writes all of <paramref name="text"/> to <paramref name="fd"/> (a frame; Ret is the count or -1).</summary>
    protected Op Print(int fd, string text) => Op.Call(WriteAll(fd, System.Text.Encoding.UTF8.GetBytes(text)));

    protected Op Printf(string text) => Print(1, text);

    /// <summary>warnx: "prog: message" on stderr.</summary>
    protected Op Warnx(string message) => Print(2, $"{ProgramName}: {message}\n");

    protected string ProgramName => Args.Length > 0 ? Args[0][(Args[0].LastIndexOf('/') + 1)..] : "?";

    private IEnumerator<Op> WriteAll(int fd, byte[] bytes)
    {
        int done = 0;
        while (done < bytes.Length)
        {
            yield return Write(fd, bytes.AsSpan(done));
            long n = Ret;
            if (n <= 0)
            {
                yield return Op.Return(-1);
                yield break;
            }
            done += (int)n;
        }
        yield return Op.Return(done);
    }

    /// <summary>
    /// malloc(size): a bump allocator over the data segment grown with obreak. Its state (the current break) is kept
    /// in emulated memory, the first word of bss, so a forked child continues from its own copy. A frame; Ret is
    /// the address, or -1 with ENOMEM.
    /// </summary>
    protected Op Malloc(long size) => Op.Call(MallocFrame(size));

    /// <summary>The first bss word: data is one page at DataStart, bss follows (MiniBSD's program layout).</summary>
    private static ulong CurBrkVa => UserLayout.DataStart + 4096;

    private IEnumerator<Op> MallocFrame(long size)
    {
        long brk = LoadLong(CurBrkVa);
        if (brk == 0) brk = (long)CurBrkVa + 4096 * ImageBssPages;   // _end
        long start = (brk + 15) & ~15L, end = start + size;
        yield return Sys(SysCall.Obreak, end);
        if (Ret < 0)
        {
            yield return Op.Return(-1);
            yield break;
        }
        StoreLong(CurBrkVa, end);
        yield return Op.Return(start);
    }

    /// <summary>The bss pages the program's image has (the registry's default is 1).</summary>
    protected virtual int ImageBssPages => 1;

    /// <summary>Parses a decimal integer as atoi/strtonum would; false for anything else.</summary>
    protected static bool ParseNumber(string s, out long value) =>
        long.TryParse(s, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out value);

    /// <summary>
    /// Reads all of a descriptor (a frame; the result, <c>(int)Ctx.X0</c>, is the byte count, or -1 with errno, ENOMEM
    /// when the bytes could not be charged: see <see cref="HostCharge"/>). The bytes go to <paramref name="into"/>,
    /// and stay charged to the program until it calls <see cref="HostRelease"/> for them (or exits).
    /// </summary>
    protected Op ReadAll(int fd, List<byte> into) => Op.Call(ReadAllFrame(fd, into));

    private IEnumerator<Op> ReadAllFrame(int fd, List<byte> into)
    {
        while (true)
        {
            yield return Read(fd);
            long n = Ret;
            if (n <= 0)
            {
                yield return Op.Return(n < 0 ? -1 : into.Count);
                yield break;
            }
            if (!HostSet(HostHeld + n))
            {
                yield return HostCharge(n);
                if ((long)Ctx.X0 < 0)
                {
                    yield return Op.Return(-1);
                    yield break;
                }
            }
            into.AddRange(ReadResult(n));
        }
    }
}
