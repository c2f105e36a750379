using MiniBSD.Kernel.Kern;
using MiniBSD.Userland.Libc;

namespace MiniBSD.Userland.Programs;

/// <summary>Helpers the workload programs share: argument parsing and touching pages.</summary>
public abstract class WorkloadProgram : UserProgram
{
    /// <summary>The numeric argument at <paramref name="index"/>, or <paramref name="fallback"/> when absent; null if not a number ≥ 0.</summary>
    protected long? Number(int index, long fallback)
    {
        if (index >= Args.Length) return fallback;
        return ParseNumber(Args[index], out long v) && v >= 0 ? v : null;
    }

    /// <summary>Writes one byte into each of <paramref name="pages"/> pages from <paramref name="va"/> (the value marks the page); false on a fault.</summary>
    protected bool TouchPages(ulong va, long pages, byte value)
    {
        for (long i = 0; i < pages; i++)
            if (!StoreLong(va + (ulong)i * 4096, value + i)) return false;
        return true;
    }

    /// <summary>True when each page holds what <see cref="TouchPages"/> wrote with <paramref name="value"/>.</summary>
    protected bool CheckPages(ulong va, long pages, byte value)
    {
        for (long i = 0; i < pages; i++)
            if (LoadLong(va + (ulong)i * 4096) != value + i) return false;
        return true;
    }

    /// <summary>
    /// A frame: maps <paramref name="pages"/> fresh anonymous pages and writes each once (zero-fill faults), then
    /// computes for <paramref name="cycles"/>. Afterwards <see cref="WorkFailed"/> says whether the memory could not
    /// be had (errno is then mmap's).
    /// </summary>
    protected IEnumerator<Op> Work(long pages, long cycles)
    {
        WorkFailed = false;
        if (pages > 0)
        {
            yield return MmapAnon(pages * 4096);
            long va = Ret;
            if (va < 0)
            {
                WorkFailed = true;
                yield return Op.Return(-1);
                yield break;
            }
            TouchPages((ulong)va, pages, 1);   // a fault's signal ends the program at the next yield
        }
        if (cycles > 0) yield return Op.Work(cycles);
        yield return Op.Return(0);
    }

    /// <summary>The last <see cref="Work"/> could not map its memory.</summary>
    protected bool WorkFailed { get; private set; }

    protected IEnumerator<Op> Usage(string usage)
    {
        yield return Print(2, $"usage: {usage}\n");
        yield return Op.Return(1);
    }
}

/// <summary>memtouch PAGES: maps PAGES pages of anonymous memory and writes each once (zero-fill faults).</summary>
public sealed class Memtouch : WorkloadProgram
{
    protected override IEnumerator<Op> Main()
    {
        if (Number(1, -1) is not { } pages || pages < 0) return Usage("memtouch pages");
        return Touch(pages);
    }

    private IEnumerator<Op> Touch(long pages)
    {
        if (pages == 0)
        {
            yield return Op.Return(0);
            yield break;
        }
        yield return MmapAnon(pages * 4096);
        long va = Ret;
        if (va < 0)
        {
            yield return Warnx($"mmap: {Strerror(Errno)}");
            yield return Op.Return(1);
            yield break;
        }
        TouchPages((ulong)va, pages, 1);
        yield return Op.Return(0);
    }
}

/// <summary>
/// cowtest [PAGES]: the parent fills PAGES pages and forks; the child checks it sees the parent's values, writes its
/// own and exits; the parent checks its pages kept its values and that the child exited 0. Prints "cowtest: ok".
/// </summary>
public sealed class Cowtest : WorkloadProgram
{
    protected override IEnumerator<Op> Main()
    {
        if (Number(1, 8) is not { } pages || pages == 0) return Usage("cowtest [pages]");
        return Run(pages);
    }

    private IEnumerator<Op> Run(long pages)
    {
        yield return MmapAnon(pages * 4096);
        var va = (ulong)Ret;
        TouchPages(va, pages, 10);
        yield return Fork();
        long pid = Ret;
        if (pid == 0)
        {
            bool saw = CheckPages(va, pages, 10);
            TouchPages(va, pages, 20);
            bool own = CheckPages(va, pages, 20);
            yield return Exit(saw && own ? 0 : 3);
        }
        yield return Wait4(pid);
        int status = WaitStatus;
        bool kept = CheckPages(va, pages, 10);
        string verdict = !kept ? "the child's writes reached the parent"
            : status != 0 ? $"the child saw wrong values (status {status:x})"
            : "ok";
        yield return Printf($"cowtest: {verdict}\n");
        yield return Op.Return(verdict == "ok" ? 0 : 1);
    }
}

/// <summary>forkbench N PAGES: N times, fork a child that writes PAGES pages the parent touched, exits; wait for it.</summary>
public sealed class Forkbench : WorkloadProgram
{
    protected override IEnumerator<Op> Main()
    {
        if (Number(1, 100) is not { } n || Number(2, 16) is not { } pages) return Usage("forkbench [forks [pages]]");
        return Run(n, pages);
    }

    private IEnumerator<Op> Run(long n, long pages)
    {
        ulong va = 0;
        if (pages > 0)
        {
            yield return MmapAnon(pages * 4096);
            va = (ulong)Ret;
            TouchPages(va, pages, 1);
        }
        for (long i = 0; i < n; i++)
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
                TouchPages(va, pages, 2);   // copy-on-write faults
                yield return Exit(0);
            }
            yield return Wait4(pid);
        }
        yield return Op.Return(0);
    }
}

/// <summary>
/// exitstorm [N [PAGES [ENTRIES]]]: forks N children at once; each touches PAGES new pages, in ENTRIES separate
/// mappings (map entries) of about PAGES / ENTRIES pages, and exits; then waits for all.
/// </summary>
public sealed class Exitstorm : WorkloadProgram
{
    protected override IEnumerator<Op> Main()
    {
        if (Number(1, 32) is not { } n || Number(2, 16) is not { } pages || Number(3, 1) is not { } entries || entries < 1 || entries > 4096)
            return Usage("exitstorm [children [pages [entries (1-4096)]]]");
        return Run(n, pages, Math.Min(entries, Math.Max(1, pages)));
    }

    private IEnumerator<Op> Run(long n, long pages, long entries)
    {
        long started = 0;
        for (long i = 0; i < n; i++)
        {
            yield return Fork();
            long pid = Ret;
            if (pid < 0) break;
            if (pid == 0)
            {
                for (long e = 0; e < entries && pages > 0; e++)
                {
                    long these = pages / entries + (e < pages % entries ? 1 : 0);
                    long gap = entries > 1 ? 4096 : 0;   // a page more, unmapped: the entries stay apart, never merged
                    yield return MmapAnon(these * 4096 + gap);
                    if (Ret < 0 || !TouchPages((ulong)Ret, these, 3)) yield return Exit(1);
                    if (gap > 0) yield return Munmap((ulong)Ret + (ulong)these * 4096, gap);
                }
                yield return Exit(0);
            }
            started++;
        }
        int failed = 0;
        for (long i = 0; i < started; i++)
        {
            yield return Wait4(-1);
            if (Ret < 0 || WaitStatus != 0) failed++;
        }
        yield return Op.Return(failed == 0 && started == n ? 0 : 1);
    }
}
