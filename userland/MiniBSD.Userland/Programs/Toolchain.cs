using MiniBSD.Kernel.Kern;

namespace MiniBSD.Userland.Programs;

/// <summary>
/// The compiler of the build workloads: <c>cc [-m PAGES] [-w CYCLES] [-t TEXT] [-h HELPERS] [-c] [-o OUT] [FLAGS] FILE...</c>.
/// Like OpenBSD's clang it is one process: the driver, cc1 and the integrated assembler (CLANG_SPAWN_CC1 0, no
/// separate as). It works in <see cref="Phases"/> phases (preprocessing, parsing, optimisation, code generation), each
/// fetching its part of TEXT pages of its shared text (instruction fetches: faults on the text object's resident
/// pages), growing its heap by its part of PAGES in mmap'd chunks that OpenBSD's randomised mmap scatters over the
/// address space, and computing its part of CYCLES in one long slice (the timer cuts it). It also writes a few pages
/// of stack (a parser recurses) and its bss. HELPERS separate passes (fork + exec of /usr/libexec/as, each with a
/// quarter of the memory and work) model an older driver that runs its assembler apart. Compiler flags (-D, -I, -W,
/// -O, -f, -g, -M..., -std=, -mcmodel=...) are accepted and ignored. The output file is not written: MiniBSD has no
/// writable file system yet; what matters here is the process and memory work.
/// </summary>
public sealed class Cc : WorkloadProgram
{
    /// <summary>The compiler's phases, each a slice of text, heap and computation.</summary>
    public const int Phases = 4;

    /// <summary>The heap grows in chunks of at most this many pages (1 MiB, as malloc maps its regions).</summary>
    public const int ChunkPages = 256;

    /// <summary>Stack pages a compile writes (the parser's recursion: 64 KiB).</summary>
    public const int StackPages = 16;

    /// <summary>
    /// cc's image: 16 MiB of text (OpenBSD's clang binary is several times that; a compile fetches only part of it),
    /// and 64 KiB of bss after the one page of data (its first word is malloc's break; cc writes the rest).
    /// </summary>
    public const int ImageText = 4096, ImageBss = 16;

    protected override int ImageBssPages => ImageBss;

    protected override IEnumerator<Op> Main()
    {
        if (!Toolchain.TryParse(Args, out var o)) return Usage("cc [-m pages] [-w cycles] [-t text] [-h helpers] [-c] [-o out] file ...");
        return Compile(o);
    }

    private IEnumerator<Op> Compile(Toolchain.Options o)
    {
        yield return Getpid();
        long pid = Ret;
        TouchPages(Kernel.Abi.UserLayout.UsrStack - StackPages * 4096UL, StackPages, 5);
        TouchPages(Kernel.Abi.UserLayout.DataStart + 2 * 4096UL, ImageBss - 1, 6);
        long chunk = 0;
        for (int phase = 0; phase < Phases; phase++)
        {
            FetchText(Part(o.TextPages, phase), Part(o.TextPages, phase + 1));
            long pages = Part(o.Pages, phase + 1) - Part(o.Pages, phase);
            for (long done = 0; done < pages; done += ChunkPages)
            {
                long these = Math.Min(ChunkPages, pages - done);
                yield return MmapAnonAt(ScatteredHint(pid, chunk++), these * 4096);
                if (Ret < 0 || !TouchPages((ulong)Ret, these, 7))
                {
                    yield return Warnx($"cannot allocate {these} pages: {Strerror(Errno)}");
                    yield return Op.Return(1);
                    yield break;
                }
            }
            if (Part(o.Cycles, phase + 1) - Part(o.Cycles, phase) is var cycles and > 0) yield return Op.Work(cycles);
        }
        for (int i = 0; i < o.Helpers; i++)
        {
            yield return Op.Call(RunHelper(o));
            if (Ret != 0)
            {
                yield return Op.Return(1);
                yield break;
            }
        }
        yield return Op.Return(0);
    }

    /// <summary>What the first <paramref name="phases"/> phases of <see cref="Phases"/> have of <paramref name="total"/>.</summary>
    private static long Part(long total, int phases) => total * phases / Phases;

    /// <summary>Loads one word of each text page in [from, to): the instruction fetches of a phase.</summary>
    private void FetchText(long from, long to)
    {
        for (long page = from; page < to && page < ImageText; page++)
            LoadLong(Kernel.Abi.UserLayout.TextStart + (ulong)page * 4096);
    }

    /// <summary>
    /// Where the n-th heap chunk is asked for: OpenBSD's mmap picks a random address for each mapping, so a process's
    /// chunks lie far apart, each under page tables of its own. A hash of the process and the chunk picks one of
    /// 65,536 slots of 2 MiB above the mmap base (the same run gives the same addresses).
    /// </summary>
    private static ulong ScatteredHint(long pid, long n)
    {
        ulong h = (ulong)(pid * 0x9E3779B1L + n * 0x85EBCA77L);
        h ^= h >> 15;
        h *= 0x2C1B3C6DUL;
        h ^= h >> 12;
        return Kernel.Abi.UserLayout.MmapBase + ((h & 0xFFFF) << 21);
    }

    private IEnumerator<Op> RunHelper(Toolchain.Options o)
    {
        yield return Fork();
        long pid = Ret;
        if (pid < 0)
        {
            yield return Warnx($"fork: {Strerror(Errno)}");
            yield return Op.Return(1);
            yield break;
        }
        if (pid == 0)
        {
            yield return Execvp("/usr/libexec/as", ["as", "-m", $"{Math.Max(1, o.Pages / 4)}", "-w", $"{o.Cycles / 4}"]);
            yield return Warnx($"/usr/libexec/as: {Strerror(Errno)}");
            yield return Exit(127);
        }
        yield return Wait4(pid);
        if (Ret < 0 || WaitStatus != 0)
        {
            yield return Warnx($"as failed (wait status 0x{WaitStatus:X})");
            yield return Op.Return(1);
            yield break;
        }
        yield return Op.Return(0);
    }
}

/// <summary>
/// A pass or a tool that only works: /usr/libexec/as (the assembler a cc driver runs), /usr/bin/ld (the link) and
/// /usr/sbin/genassym. <c>NAME [-m PAGES] [-w CYCLES] [-o OUT] [FILE...]</c>: writes PAGES fresh pages,
/// computes for CYCLES, exits 0.
/// </summary>
public sealed class Tool : WorkloadProgram
{
    protected override IEnumerator<Op> Main()
    {
        if (!Toolchain.TryParse(Args, out var o)) return Usage($"{ProgramName} [-m pages] [-w cycles] [-o out] [file ...]");
        return Run(o);
    }

    private IEnumerator<Op> Run(Toolchain.Options o)
    {
        yield return Op.Call(Work(o.Pages, o.Cycles));
        if (WorkFailed) yield return Warnx($"cannot allocate {o.Pages} pages: {Strerror(Errno)}");
        yield return Op.Return(WorkFailed ? 1 : 0);
    }
}

/// <summary>What cc, as, ld and friends share: their options and their work.</summary>
internal static class Toolchain
{
    public sealed record Options(long Pages, long Cycles, int Helpers, long TextPages);

    /// <summary>
    /// -m PAGES, -w CYCLES, -h HELPERS, -t TEXT, -c, -o OUT, file names, and the compiler flags cc ignores; false for a
    /// bad value or an unknown option.
    /// </summary>
    public static bool TryParse(string[] args, out Options options)
    {
        long pages = 16, cycles = 0, helpers = 0, text = 0;
        options = new Options(0, 0, 0, 0);
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-c" or "-g" or "-nostdinc" or "-pipe": break;
                case "-o": i++; break;
                case "-m" or "-w" or "-h" or "-t" when i + 1 < args.Length:
                    if (!long.TryParse(args[i + 1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v)) return false;
                    if (args[i] == "-m") pages = v;
                    else if (args[i] == "-w") cycles = v;
                    else if (args[i] == "-t") text = v;
                    else helpers = v;
                    i++;
                    break;
                case var a when IgnoredFlag(a): break;
                case var a when a.StartsWith('-'): return false;
                default: break;   // an input file
            }
        }
        if (pages > 1 << 20 || helpers > 64 || text > 1 << 20) return false;
        options = new Options(pages, cycles, (int)helpers, text);
        return true;
    }

    /// <summary>A C compiler's flag that changes nothing here: -D, -I, -W, -O, -f, -M..., -std=, -m with a value (-mcmodel=kernel).</summary>
    private static bool IgnoredFlag(string a) =>
        a.Length > 2 && a[0] == '-' && (a[1] is 'D' or 'I' or 'W' or 'O' or 'f' or 'M' || a.StartsWith("-std=", StringComparison.Ordinal) || a[1] == 'm');
}
