using System.CommandLine;
using System.Text;
using MiniBSD.Cli.Bench;
using MiniBSD.Cli.Boot;
using MiniBSD.Cli.Host;
using MiniBSD.Cli.MmuAt;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Cli;

/// <summary>
/// The <c>minibsd</c> command: boot, run a script, benchmarks, and the MMU translation explainer. Exit status: what
/// the command says (0 success; 1 a run that failed; 2 a usage error: one line naming the option or file), or 70
/// (sysexits' EX_SOFTWARE) for an internal error, a MiniBSD bug, which is reported in a few lines with where the whole
/// trace was written. No failure a user can cause prints a .NET stack trace.
/// </summary>
public static class Program
{
    /// <summary>The exit status of an internal error.</summary>
    public const int InternalError = 70;

    public static int Main(string[] args)
    {
        using var stdout = GuardedStream.Open(Console.OpenStandardOutput);
        using var errorStream = GuardedStream.Open(Console.OpenStandardError);
        using var stderr = new StreamWriter(errorStream, new UTF8Encoding(false)) { AutoFlush = true };
        return Run(args, stdout, stderr);
    }

    /// <summary>Parses and runs <paramref name="args"/>: the whole command, with its exit status, as Main runs it.</summary>
    public static int Run(string[] args, Stream stdout, TextWriter stderr)
    {
        var text = new StreamWriter(stdout, new UTF8Encoding(false), bufferSize: 4096, leaveOpen: true) { AutoFlush = true };
        int code;
        try
        {
            var parse = Build(stdout, text, stderr).Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
            code = parse.Errors.Count > 0
                ? Usage(stderr, parse)
                : parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = text, Error = stderr });
        }
        catch (Exception e)
        {
            code = Bug(e, stderr);
        }
        text.Flush();
        stdout.Flush();
        if (stdout is GuardedStream { Failure: { } failure })
        {
            stderr.WriteLine($"minibsd: cannot write standard output: {failure}");
            if (code == 0) code = 1;
        }
        return code;
    }

    /// <summary>A command line that does not parse: its first error in one line, and where help is; 2.</summary>
    private static int Usage(TextWriter stderr, ParseResult parse)
    {
        string command = string.Join(' ', ["minibsd", .. CommandPath(parse.CommandResult)]);
        var error = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parse.Errors[0];
        stderr.WriteLine($"{command}: {error.Message} (see {command} --help)");
        return 2;
    }

    private static IEnumerable<string> CommandPath(System.CommandLine.Parsing.SymbolResult? r)
    {
        var names = new Stack<string>();
        for (; r is System.CommandLine.Parsing.CommandResult c && c.Parent is not null; r = c.Parent) names.Push(c.Command.Name);
        return names;
    }

    /// <summary>An exception no command expected: a MiniBSD bug. Says so, where it was thrown, and where the trace is.</summary>
    private static int Bug(Exception e, TextWriter stderr)
    {
        var top = new System.Diagnostics.StackTrace(e, fNeedFileInfo: false).GetFrame(0)?.GetMethod();
        string where = top is null ? "an unknown place" : $"{top.DeclaringType?.FullName}.{top.Name}";
        string report = Path.Combine(Path.GetTempPath(), $"minibsd-bug-{Environment.ProcessId}.txt");
        bool written = HostFiles.WriteText(report, e.ToString() + "\n", out _);
        stderr.WriteLine($"minibsd: internal error, a MiniBSD bug (not a problem with your input): {e.GetType().Name}: {e.Message}");
        stderr.WriteLine($"minibsd: thrown in {where}; {(written ? $"the whole trace is in {report}" : "the trace could not be saved")}; please report it with the command line");
        return InternalError;
    }

    public static RootCommand Build(Stream console, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("MiniBSD: a small BSD kernel on an emulated arm64 machine");
        root.Subcommands.Add(BootCommandLine(console, stderr));
        root.Subcommands.Add(RunCommandLine(console, stderr));
        var bench = new Command("bench", "Benchmarks on a booted MiniBSD");
        bench.Subcommands.Add(ForkExitCommandLine(stdout, stderr));
        bench.Subcommands.Add(ExitCommandLine(stdout, stderr));
        root.Subcommands.Add(bench);
        root.Subcommands.Add(FuzzCommandLine(stdout, stderr));
        var mmu = new Command("mmu", "The emulated MMU: translate addresses and explain walks");
        mmu.Subcommands.Add(MmuAtCommandLine(stdout, stderr));
        mmu.Subcommands.Add(MmuWalkCommandLine(stdout, stderr));
        root.Subcommands.Add(mmu);
        return root;
    }

    /// <summary>The options boot and run share, and a reader that turns a parse result into <see cref="SystemOptions"/>.</summary>
    private static (Option[] Options, Func<ParseResult, TextWriter, SystemOptions?> Read) SystemOptionsLine(string command, int defaultCpus = 4, double defaultMaxSeconds = RunLimits.DefaultMaxSeconds)
    {
        var cpus = new Option<int>("--cpus") { Description = "Number of CPUs (1-64)", DefaultValueFactory = _ => defaultCpus };
        var arch = new Option<string>("--arch") { Description = "The machine: arm64 (VMSAv8-64, broadcast TLBI) or amd64 (x86-64 paging, PCIDs, shootdowns by IPI)", DefaultValueFactory = _ => "arm64" };
        var memory = new Option<string>("--memory") { Description = "RAM size, e.g. 512M or 4G", DefaultValueFactory = _ => "512M" };
        var seed = new Option<int>("--seed") { Description = "Seed for pids and time-slice jitter: the same seed gives the same run", DefaultValueFactory = _ => 0 };
        var asidBits = new Option<int>("--asid-bits") { Description = "ASID width: 8 or 16", DefaultValueFactory = _ => 16 };
        var paBits = new Option<int>("--pa-bits") { Description = "Physical address width (ID_AA64MMFR0_EL1.PARange): 32, 36, 40, 42, 44 or 48", DefaultValueFactory = _ => 48 };
        var maxproc = new Option<int>("--maxproc") { Description = "kern.maxproc: processes at most (fork fails with EAGAIN beyond)", DefaultValueFactory = _ => 1000 };
        var verbose = new Option<bool>("--verbose") { Description = "Print the kernel's messages (dmesg, with simulated timestamps) to stderr" };
        var trace = new Option<bool>("--trace") { Description = "Print every system instruction with its encoding and disassembly to stderr" };
        var costs = new Option<string?>("--costs") { Description = "A JSON file overriding entries of the simulated-cycle cost table, e.g. {\"WalkRead\": 40}" };
        var noCheck = new Option<bool>("--no-check") { Description = "Turn the TLB coherence checker off (faster; the summary then cannot vouch for TLB maintenance)" };
        var maxTime = new Option<double>("--max-time") { Description = $"Stop after this many seconds of simulated time if init has not halted (0: no limit)", DefaultValueFactory = _ => defaultMaxSeconds };
        var exitPath = new Option<string>("--exit-path")
        {
            Description = "How exiting processes are torn down: purge (OpenBSD since 2025), reaper (before it), purge-unordered (no pmap_purge), purge-broken (the mistake the checker catches; for teaching), purge-remove-all (the 2025 thread's first try: pmap_remove of the whole user space, very slow)",
            DefaultValueFactory = _ => "purge",
        };
        var json = new Option<string?>("--json") { Description = "Also write what the run measured (times, exit latency, teardown, locks, TLBIs, per-CPU use) as JSON to FILE" };
        var failAt = new Option<string[]>("--fail-at") { Description = $"Fault injection: SITE:N fails the N-th call of an allocation site ({string.Join(", ", FailSiteNames.All.Select(s => s.Name()))}); repeatable", AllowMultipleArgumentsPerToken = false };
        var failRate = new Option<string[]>("--fail-rate") { Description = "Fault injection: SITE:P fails each call of SITE with probability P (seeded by --seed); repeatable" };
        var ablate = new Option<string?>("--ablate") { Description = $"Turn one mechanism of the model off: {string.Join(", ", MechanismNames.All.Select(m => m.Name()))}" };
        Option[] all = [arch, cpus, memory, seed, asidBits, paBits, maxproc, verbose, trace, costs, noCheck, maxTime, exitPath, json, failAt, failRate, ablate];
        SystemOptions? Read(ParseResult r, TextWriter stderr)
        {
            string size = r.GetValue(memory)!;
            if (!BootSizes.TryParse(size, out ulong bytes))
            {
                stderr.WriteLine($"minibsd {command}: --memory '{size}' is not a size such as 512M or 4G");
                return null;
            }
            string archName = r.GetValue(arch) ?? "arm64";   // null where a command leaves the option out (bench exit)
            if (!MiniBSD.Hal.ArchNames.TryParse(archName, out var machineArch))
            {
                stderr.WriteLine($"minibsd {command}: --arch '{archName}' is not arm64 or amd64");
                return null;
            }
            string pathName = r.GetValue(exitPath) ?? "purge";   // null where a command leaves the option out (bench exit)
            if (!ExitPathNames.TryParse(pathName, out var path))
            {
                stderr.WriteLine($"minibsd {command}: --exit-path '{pathName}' is not one of {string.Join(", ", ExitPathNames.All.Select(p => p.Name()))}");
                return null;
            }
            Mechanism? off = null;
            if (r.GetValue(ablate) is { } ablateName)
            {
                if (!MechanismNames.TryParse(ablateName, out var m))
                {
                    stderr.WriteLine($"minibsd {command}: --ablate '{ablateName}' is not one of {string.Join(", ", MechanismNames.All.Select(x => x.Name()))}");
                    return null;
                }
                off = m;
            }
            var faults = new List<FailSpec>();
            foreach (var (option, rate) in new[] { (failAt, false), (failRate, true) })
                foreach (string text in r.GetValue(option) ?? [])
                {
                    if (FailSpec.Parse(text, rate, out string? error) is { } f) faults.Add(f);
                    else
                    {
                        stderr.WriteLine($"minibsd {command}: {error}");
                        return null;
                    }
                }
            return new SystemOptions(r.GetValue(cpus), bytes, r.GetValue(paBits), r.GetValue(asidBits), r.GetValue(seed), r.GetValue(maxproc),
                r.GetValue(trace), r.GetValue(costs), r.GetValue(verbose), !r.GetValue(noCheck), r.GetValue(maxTime), path, r.GetValue(json), faults, machineArch, off);
        }
        return (all, Read);
    }

    private static Command BootCommandLine(Stream stdout, TextWriter stderr)
    {
        var (options, read) = SystemOptionsLine("boot");
        var cmd = new Command("boot", "Boot MiniBSD and run the default /etc/rc (fork, exec, copy-on-write, exit, wait); the console goes to stdout, the summary to stderr");
        foreach (var o in options) cmd.Options.Add(o);
        cmd.SetAction(r => read(r, stderr) is { } o ? SystemCommand.Boot(o, stdout, stderr) : 2);
        return cmd;
    }

    private static Command RunCommandLine(Stream stdout, TextWriter stderr)
    {
        var (options, read) = SystemOptionsLine("run");
        var script = new Argument<string>("SCRIPT") { Description = "A workload script for MiniBSD's sh; it runs as /etc/rc" };
        var cmd = new Command("run", "Boot MiniBSD and run SCRIPT as /etc/rc; exits with the script's status") { script };
        foreach (var o in options) cmd.Options.Add(o);
        cmd.SetAction(r => read(r, stderr) is { } o ? SystemCommand.RunScript(o, r.GetValue(script)!, stdout, stderr) : 2);
        return cmd;
    }

    private static Command ForkExitCommandLine(TextWriter stdout, TextWriter stderr)
    {
        var (options, read) = SystemOptionsLine("bench forkexit", defaultCpus: 2);
        var pages = new Option<int>("--pages") { Description = "Pages the child writes (copy-on-write) before it exits", DefaultValueFactory = _ => 16 };
        var iterations = new Option<int>("--iterations") { Description = "fork + exit + wait loops to time", DefaultValueFactory = _ => 100_000 };
        var cmd = new Command("forkexit", "Time the fork + exit + wait loop of /usr/bin/forkbench: host loops per second and simulated cycles per loop") { pages, iterations };
        foreach (var o in options) cmd.Options.Add(o);
        cmd.SetAction(r => read(r, stderr) is { } o ? ForkExitBench.Run(o, r.GetValue(pages), r.GetValue(iterations), stdout, stderr) : 2);
        return cmd;
    }

    private static Command ExitCommandLine(TextWriter stdout, TextWriter stderr)
    {
        var (options, read) = SystemOptionsLine("bench exit", defaultMaxSeconds: RunLimits.BenchMaxSeconds);
        var workload = new Option<string>("--workload")
        {
            Description = $"A workload of workloads/ ({string.Join(", ", Workloads.Names)}) or a script file",
            DefaultValueFactory = _ => "build",
        };
        var cpus = new Option<string>("--cpus") { Description = "CPU counts, comma-separated", DefaultValueFactory = _ => "1,2,4,8,16" };
        var paths = new Option<string>("--exit-path") { Description = "Exit paths, comma-separated (purge, reaper, purge-unordered, purge-broken, purge-remove-all)", DefaultValueFactory = _ => "purge,reaper,purge-unordered" };
        var seeds = new Option<string>("--seeds") { Description = "Seeds, comma-separated: each cell is the mean over them (0: no jitter)", DefaultValueFactory = _ => "0" };
        var outDir = new Option<string>("--out") { Description = "Folder for exit-WORKLOAD.md, .json and .svg", DefaultValueFactory = _ => "." };
        var archs = new Option<string>("--arch") { Description = "Architectures, comma-separated (arm64, amd64): a dimension of the matrix", DefaultValueFactory = _ => "arm64" };
        var sets = new Option<string[]>("--set") { Description = "NAME=VALUE: a shell variable set before the workload in every cell (exitstorm reads PAGES and ENTRIES); repeatable" };
        var sweep = new Option<string?>("--sweep") { Description = "NAME=V1,V2,...: a shell variable whose values are a dimension of the matrix, with a table of purge against reaper by value" };
        var ablations = new Option<string>("--ablate") { Description = $"Mechanisms, comma-separated ({string.Join(", ", MechanismNames.All.Select(m => m.Name()))}): each turned off on its own, a dimension of the matrix beside the whole model", DefaultValueFactory = _ => "" };
        var cmd = new Command("exit", "Run a workload under each exit path at each CPU count (in parallel on the host) and compare: Markdown, JSON and an SVG plot")
        {
            workload, archs, cpus, paths, seeds, outDir, ablations, sets, sweep,
        };
        // The matrix options replace boot's --arch, --cpus, --exit-path and --seed; the machine options are shared.
        foreach (var o in options.Where(o => o.Name is not ("--arch" or "--cpus" or "--exit-path" or "--seed" or "--json" or "--verbose" or "--trace" or "--ablate"))) cmd.Options.Add(o);
        cmd.SetAction(r => read(r, stderr) is { } o
            ? ExitBench.Run(o, r.GetValue(workload)!, r.GetValue(cpus)!, r.GetValue(paths)!, r.GetValue(seeds)!, r.GetValue(outDir)!, stdout, stderr, r.GetValue(archs)!, r.GetValue(ablations)!, r.GetValue(sets), r.GetValue(sweep))
            : 2);
        return cmd;
    }

    private static Command FuzzCommandLine(TextWriter stdout, TextWriter stderr)
    {
        var (options, read) = SystemOptionsLine("fuzz");
        var seeds = new Option<string>("--seeds") { Description = "Seeds: a range such as 1-1000, or a list", DefaultValueFactory = _ => "1-100" };
        var calls = new Option<int>("--calls") { Description = "System calls a seed's program makes", DefaultValueFactory = _ => 10_000 };
        var cpus = new Option<string>("--cpus") { Description = "CPU counts, a range such as 1-8: seed s runs on MIN + s mod (MAX - MIN + 1)", DefaultValueFactory = _ => "1-4" };
        var procs = new Option<int>("--procs") { Description = "Children a seed's driver makes, about (1-64)", DefaultValueFactory = _ => 8 };
        var inject = new Option<bool>("--inject-faults") { Description = "Also inject failures: seed s fails 5 % of the calls of allocation site s mod 7" };
        var cmd = new Command("fuzz", "A system-call fuzzer: random and adversarial calls from every process, seeded and replayable; checks for panics, leaks and coherence after each seed")
        {
            seeds, calls, cpus, procs, inject,
        };
        foreach (var o in options.Where(o => o.Name is not ("--cpus" or "--seed" or "--verbose" or "--trace" or "--fail-at" or "--fail-rate"))) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            if (read(r, stderr) is not { } so) return 2;
            string? problem = null;
            var seedList = Fuzz.FuzzCommand.ParseSeeds(r.GetValue(seeds)!, out problem);
            var range = r.GetValue(cpus)!.Split('-');
            int lo = 0, hi = 0;
            if (problem is null && (range.Length is not (1 or 2) || !int.TryParse(range[0], out lo) || !int.TryParse(range[^1], out hi) || lo < 1 || hi > 64 || lo > hi))
                problem = $"--cpus {r.GetValue(cpus)}: give a count or a range such as 1-8, within 1-64";
            if (problem is null && r.GetValue(calls) is < 1 or > 10_000_000) problem = $"--calls {r.GetValue(calls)}: must be 1 to 10000000";
            if (problem is null && r.GetValue(procs) is < 1 or > 64) problem = $"--procs {r.GetValue(procs)}: must be 1 to 64";
            if (problem is null && SystemCommand.Configure(so with { Cpus = hi }, "fuzz", stderr) is null) return 2;
            if (problem is not null)
            {
                stderr.WriteLine($"minibsd fuzz: {problem}");
                return 2;
            }
            return Fuzz.FuzzCommand.Run(new Fuzz.FuzzCommand.Options(seedList!, r.GetValue(calls), lo, hi, r.GetValue(procs), r.GetValue(inject), so), so.JsonFile, stdout, stderr);
        });
        return cmd;
    }

    private static Command MmuAtCommandLine(TextWriter stdout, TextWriter stderr)
    {
        var files = new Argument<string[]>("SCENARIO") { Description = "Scenario JSON files", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string?>("--out") { Description = "Write each result to DIR/<same file name> instead of stdout" };
        var explain = new Option<bool>("--explain") { Description = "For each case, print every level's descriptor, decoded, and why the walk ended (to stderr, or stdout with --out)" };
        var cmd = new Command("at", "Run AT S1E1R/S1E1W/S1E0R/S1E0W cases of scenario files and add PAR_EL1 to each case") { files, outDir, explain };
        cmd.SetAction(r => MmuAtCommand.Run(r.GetValue(files)!, r.GetValue(outDir), r.GetValue(explain), stdout, stderr));
        return cmd;
    }

    private static Command MmuWalkCommandLine(TextWriter stdout, TextWriter stderr)
    {
        var files = new Argument<string[]>("SCENARIO") { Description = "Scenario JSON files", Arity = ArgumentArity.OneOrMore };
        var arch = new Option<string>("--arch") { Description = "The MMU: amd64 (x86-64 4-level paging)", Required = true };
        var outDir = new Option<string?>("--out") { Description = "Write each result to DIR/<same file name> instead of stdout" };
        var explain = new Option<bool>("--explain") { Description = "For each case, print every level's entry, decoded, and why the walk ended (to stderr, or stdout with --out)" };
        var cmd = new Command("walk", "Translate the cases of x86-64 scenario files with the 4-level walk and add pa, pf or gp to each case") { files, arch, outDir, explain };
        cmd.SetAction(r => MmuWalk.MmuWalkCommand.Run(r.GetValue(arch)!, r.GetValue(files)!, r.GetValue(outDir), r.GetValue(explain), stdout, stderr));
        return cmd;
    }
}
