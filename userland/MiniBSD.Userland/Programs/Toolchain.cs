using MiniBSD.Kernel.Kern;

namespace MiniBSD.Userland.Programs;

/// <summary>
/// The compiler driver of the build workloads: <c>cc [-m PAGES] [-w CYCLES] [-h HELPERS] [-c] [-o OUT] FILE...</c>.
/// Like a real driver it does some work of its own, then runs its passes one after another as child processes
/// (fork + exec of /usr/libexec/as, each with a quarter of the driver's memory), waiting for each. Its own work is
/// PAGES fresh pages written (zero-fill faults, as a compiler's heap grows) and CYCLES of computation. The output
/// file is not written: MiniBSD has no writable file system; what matters here is the process and memory work.
/// </summary>
public sealed class Cc : WorkloadProgram
{
    protected override IEnumerator<Op> Main()
    {
        if (!Toolchain.TryParse(Args, out var o)) return Usage("cc [-m pages] [-w cycles] [-h helpers] [-c] [-o out] file ...");
        return Compile(o);
    }

    private IEnumerator<Op> Compile(Toolchain.Options o)
    {
        yield return Op.Call(Work(o.Pages, o.Cycles));
        if (WorkFailed)
        {
            yield return Warnx($"cannot allocate {o.Pages} pages: {Strerror(Errno)}");
            yield return Op.Return(1);
            yield break;
        }
        for (int i = 0; i < o.Helpers; i++)
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
    public sealed record Options(long Pages, long Cycles, int Helpers);

    /// <summary>-m PAGES, -w CYCLES, -h HELPERS, -c, -o OUT and file names; false for a bad or unknown option.</summary>
    public static bool TryParse(string[] args, out Options options)
    {
        long pages = 16, cycles = 0, helpers = 0;
        options = new Options(0, 0, 0);
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-c": break;
                case "-o": i++; break;
                case "-m" or "-w" or "-h" when i + 1 < args.Length:
                    if (!long.TryParse(args[i + 1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v)) return false;
                    if (args[i] == "-m") pages = v;
                    else if (args[i] == "-w") cycles = v;
                    else helpers = v;
                    i++;
                    break;
                case var a when a.StartsWith('-'): return false;
                default: break;   // an input file
            }
        }
        if (pages > 1 << 20 || helpers > 64) return false;
        options = new Options(pages, cycles, (int)helpers);
        return true;
    }
}
