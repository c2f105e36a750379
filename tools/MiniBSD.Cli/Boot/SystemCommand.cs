using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MiniBSD.Hal;
using MiniBSD.Hal.Cost;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Tlb;
using MiniBSD.Kernel.Arch.Arm64;
using MiniBSD.Kernel.Kern;
using MiniBSD.Userland;

namespace MiniBSD.Cli.Boot;

/// <summary>
/// <c>minibsd boot</c> and <c>minibsd run SCRIPT</c>: build the machine, boot the kernel (locore, the MMU
/// self-check), run init, which runs /etc/rc with sh, until init halts. The emulated console is the only thing on
/// stdout; kernel messages (--verbose) and the summary go to stderr. The exit status of run is the script's.
/// </summary>
public static class SystemCommand
{
    /// <summary>boot: the default /etc/rc. 0 when it succeeded with nothing leaked, else 1; 2 for bad options.</summary>
    public static int Boot(SystemOptions o, TextWriter stdout, TextWriter stderr)
    {
        var result = Run(o, Rootfs.DefaultRc, "/etc/rc", "boot", stdout, stderr);
        return result switch { null => 2, { Clean: true, Status: 0 } => 0, _ => 1 };
    }

    /// <summary>run: <paramref name="script"/> as /etc/rc; its exit status (1 if the system did not halt cleanly, 2 for bad options or a missing script).</summary>
    public static int RunScript(SystemOptions o, string script, TextWriter stdout, TextWriter stderr)
    {
        string text;
        if (Directory.Exists(script))
        {
            stderr.WriteLine($"minibsd run: cannot read {script}: it is a directory");
            return 2;
        }
        try { text = File.ReadAllText(script); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"minibsd run: cannot read {script}: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message)}");
            return 2;
        }
        // The script goes into the root file system under its own name, so sh's messages name it.
        var result = Run(o, text, "/" + Path.GetFileName(script), "run", stdout, stderr);
        return result switch { null => 2, { Clean: false } => 1, var r => r.Status };
    }

    /// <summary>What a run ended with: rc's status, and whether the halt was clean (no leak, no violation).</summary>
    public sealed record Outcome(int Status, bool Clean);

    private static Outcome? Run(SystemOptions o, string rc, string rcPath, string command, TextWriter stdout, TextWriter stderr)
    {
        if (Configure(o, command, stderr) is not { } config) return null;
        using var loggers = LoggerFactory.Create(b =>
        {
            if (o.Verbose) b.AddProvider(new DmesgLoggerProvider(stderr)).SetMinimumLevel(LogLevel.Debug);
        });
        var clock = Stopwatch.StartNew();
        var kernel = Execute(o, config, rc, rcPath, stdout, loggers.CreateLogger("kernel"), o.Trace ? new InstructionTrace(stderr) : null);
        stdout.Flush();
        if (kernel is null)
        {
            stderr.WriteLine($"minibsd {command}: the MMU self-check failed (run with --verbose to see it)");
            return new Outcome(1, false);
        }
        var report = RunReport.From(kernel, rcPath);
        bool clean = Summary.Print(kernel, report, clock.Elapsed, stderr);
        if (o.JsonFile is { } json && !WriteAtomically(json, report.ToJson() + "\n", command, stderr)) return new Outcome(2, false);
        return new Outcome(kernel.HaltStatus, clean);
    }

    /// <summary>
    /// Builds the machine, boots (locore and the MMU self-check), runs init with <paramref name="rc"/> as /etc/rc
    /// until it halts or the time limit, with the console on <paramref name="console"/>; the kernel afterwards, or
    /// null when the self-check failed.
    /// </summary>
    internal static InitMain? Execute(SystemOptions o, MachineConfig config, string rc, string rcPath, TextWriter console,
        ILogger? logger = null, IInstructionTrace? trace = null)
    {
        var machine = new Machine(config) { Trace = trace };
        var dmesg = new Dmesg(logger, config.Costs.FrequencyHz);
        var kernel = new InitMain(machine, Rootfs.Create(rc, rcPath), new KernelOptions(o.Seed, o.MaxProc, ExitPath: o.ExitPath), dmesg);
        var check = new MmuSelfCheck(machine, kernel.Boot, kernel.Pages, kernel.Pmaps);
        foreach (var step in check.Run())
            dmesg.Debug(machine.Cpus[0], $"mmu self-check: [{(step.Passed ? "ok" : "FAILED")}] {step.Name}: {step.Detail}");
        if (!check.Passed) return null;
        machine.Console.Sink = console;
        kernel.Start("/sbin/init", rcPath);
        kernel.Run(o.MaxSeconds > 0 ? (long)(o.MaxSeconds * config.Costs.FrequencyHz) : long.MaxValue);
        return kernel;
    }

    /// <summary>Writes <paramref name="text"/> to a temporary file beside <paramref name="path"/>, then renames it: never half a file.</summary>
    internal static bool WriteAtomically(string path, string text, string command, TextWriter stderr)
    {
        string temp = path + ".tmp";
        try
        {
            File.WriteAllText(temp, text);
            File.Move(temp, path, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); } catch (IOException) { }   // best effort: the temporary file may not exist
            stderr.WriteLine($"minibsd {command}: cannot write {path}: {e.Message}");
            return false;
        }
    }

    internal static MachineConfig? Configure(SystemOptions o, string command, TextWriter stderr)
    {
        string? problem = o.Problem();
        var costs = CostTable.Default;
        if (problem is null && o.CostsFile is not null)
        {
            try { costs = CostTable.Load(o.CostsFile); }
            catch (FormatException e) { problem = $"--costs {e.Message}"; }
            catch (IOException e) { problem = $"--costs {o.CostsFile}: {e.Message}"; }
        }
        var config = new MachineConfig
        {
            Cpus = o.Cpus, MemoryBytes = o.MemoryBytes, PaBits = o.PaBits, AsidBits = o.AsidBits, Costs = costs, CheckCoherence = o.Check,
        };
        if (problem is null)
        {
            try { config.Validate(); }
            catch (ArgumentException e) { problem = e.Message; }
        }
        if (problem is null) return config;
        stderr.WriteLine($"minibsd {command}: {problem}");
        return null;
    }

    /// <summary>Prints each system instruction as "cpuN @cycle  encoding  disassembly  (Xt value)".</summary>
    private sealed class InstructionTrace(TextWriter output) : IInstructionTrace
    {
        public void OnInstruction(int cpu, long cycle, uint encoding, ulong operand)
        {
            var insn = Instruction.Decode(encoding);
            bool hasOperand = insn.Kind is InstructionKind.Msr or InstructionKind.At || (insn.Kind == InstructionKind.Tlbi && insn.Tlbi.HasOperand());
            output.WriteLine($"  cpu{cpu} @{cycle,8}  {encoding:x8}  {insn,-28}{(hasOperand ? $" ; x{insn.Rt}=0x{operand:x}" : "")}");
        }
    }
}
