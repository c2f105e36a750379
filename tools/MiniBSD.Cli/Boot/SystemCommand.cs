using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MiniBSD.Hal;
using MiniBSD.Hal.Cost;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Tlb;
using MiniBSD.Cli.Host;
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
    public static int Boot(SystemOptions o, Stream stdout, TextWriter stderr)
    {
        var result = Run(o, Rootfs.DefaultRc, "/etc/rc", "boot", stdout, stderr);
        return result switch { null or { OutputFailed: true } => 2, { Clean: true, Status: 0 } => 0, _ => 1 };
    }

    /// <summary>run: <paramref name="script"/> as /etc/rc; its exit status (1 if the system did not halt cleanly, 2 for bad options or a missing script).</summary>
    public static int RunScript(SystemOptions o, string script, Stream stdout, TextWriter stderr)
    {
        if (HostFiles.ReadText(script, out string? error) is not { } text)
        {
            stderr.WriteLine($"minibsd run: SCRIPT: {error}");
            return 2;
        }
        // The script goes into the root file system under its own name, so sh's messages name it.
        var result = Run(o, text, "/" + Path.GetFileName(script), "run", stdout, stderr);
        return result switch { null or { OutputFailed: true } => 2, { Clean: false } => 1, var r => r.Status };
    }

    /// <summary>What a run ended with: rc's status, and whether the halt was clean (no leak, no violation).</summary>
    /// <param name="OutputFailed">The run was done but its --json could not be written (a usage error: exit 2).</param>
    public sealed record Outcome(int Status, bool Clean, bool OutputFailed = false);

    private static Outcome? Run(SystemOptions o, string rc, string rcPath, string command, Stream stdout, TextWriter stderr)
    {
        if (Configure(o, command, stderr) is not { } config) return null;
        using var loggers = LoggerFactory.Create(b =>
        {
            if (o.Verbose) b.AddProvider(new DmesgLoggerProvider(stderr)).SetMinimumLevel(LogLevel.Debug);
        });
        var clock = Stopwatch.StartNew();
        InitMain? kernel;
        try
        {
            kernel = Execute(o, config, rc, rcPath, stdout, out var end, loggers.CreateLogger("kernel"), o.Trace ? new InstructionTrace(stderr) : null);
            stdout.Flush();
            if (kernel is null)
            {
                stderr.WriteLine($"minibsd {command}: the MMU self-check failed (run with --verbose to see it)");
                return new Outcome(1, false);
            }
            var report = RunReport.From(kernel, rcPath, end);
            bool clean = Summary.Print(kernel, report, clock.Elapsed, o.MaxSeconds, stderr);
            if (o.JsonFile is { } json && !HostFiles.WriteText(json, report.ToJson() + "\n", out string? error))
            {
                stderr.WriteLine($"minibsd {command}: --json {error}");
                return new Outcome(2, false, OutputFailed: true);
            }
            return new Outcome(kernel.HaltStatus, clean);
        }
        catch (KernelPanicException e)
        {
            stdout.Flush();
            stderr.WriteLine($"minibsd {command}: the kernel panicked, a MiniBSD bug: {e.Message}");
            if (e.InnerException is { } inner) stderr.WriteLine($"  caused by {inner.GetType().Name}: {inner.Message} in {inner.TargetSite?.DeclaringType?.Name}.{inner.TargetSite?.Name}");
            return new Outcome(1, false);
        }
    }

    /// <summary>
    /// Builds the machine, boots (locore and the MMU self-check), runs init with <paramref name="rc"/> as /etc/rc
    /// until it halts or a limit (<see cref="RunLimits"/>), with the console on <paramref name="console"/>; the kernel
    /// afterwards, or null when the self-check failed. A kernel panic propagates (<see cref="KernelPanicException"/>).
    /// </summary>
    internal static InitMain? Execute(SystemOptions o, MachineConfig config, string rc, string rcPath, Stream console, out RunEnd end,
        ILogger? logger = null, IInstructionTrace? trace = null, int cellsAtOnce = 1, Action<InitMain>? keep = null)
    {
        var machine = new Machine(config) { Trace = trace };
        var dmesg = new Dmesg(logger, config.Costs.FrequencyHz);
        var kernel = new InitMain(machine, Rootfs.Create(rc, rcPath), o.KernelOptions(), dmesg);
        keep?.Invoke(kernel);   // a caller that reports a panic needs the kernel the panic left
        var steps = kernel.MmuSelfCheck();
        foreach (var step in steps)
            dmesg.Debug(machine.Cpus[0], $"mmu self-check: [{(step.Passed ? "ok" : "FAILED")}] {step.Name}: {step.Detail}");
        end = RunEnd.Stalled;
        if (!steps.All(s => s.Passed)) return null;
        machine.Console.Sink = console;
        o.Arm(kernel);   // after the self-check: boot itself is not a failure path
        kernel.Start("/sbin/init", rcPath);
        end = kernel.Run(RunLimits.Cycles(o, config), RunLimits.HostGuard(config, cellsAtOnce));
        return kernel;
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> (see <see cref="HostFiles.WriteText"/>); false with the error printed.</summary>
    internal static bool WriteOutput(string path, string text, string command, TextWriter stderr)
    {
        if (HostFiles.WriteText(path, text, out string? error)) return true;
        stderr.WriteLine($"minibsd {command}: {error}");
        return false;
    }

    internal static MachineConfig? Configure(SystemOptions o, string command, TextWriter stderr)
    {
        string? problem = o.Problem();
        var costs = CostTable.Default;
        if (problem is null && o.CostsFile is not null)
        {
            if (HostFiles.ReadText(o.CostsFile, out string? error) is null) problem = $"--costs {error}";
            else
            {
                try { costs = CostTable.Load(o.CostsFile); }
                catch (FormatException e) { problem = $"--costs {e.Message}"; }
                catch (Exception e) when (HostFiles.IsHostError(e)) { problem = $"--costs {o.CostsFile}: {HostFiles.Reason(e)}"; }
            }
        }
        var config = new MachineConfig
        {
            Arch = o.Arch, Cpus = o.Cpus, MemoryBytes = o.MemoryBytes, PaBits = o.PaBits, AsidBits = o.AsidBits, Costs = costs, CheckCoherence = o.Check,
            TlbiModel = o.Ablate == Mechanism.TlbiModel ? TlbiModel.Linear : TlbiModel.Mesh,
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
    /// <summary>
    /// Prints each system instruction as "cpuN @cycle  encoding  disassembly  (operand)": A64 words by MiniBSD's
    /// disassembler, x86 bytes by Iced's formatter.
    /// </summary>
    internal sealed class InstructionTrace(TextWriter output) : IInstructionTrace
    {
        public void OnX86Instruction(int cpu, long cycle, ReadOnlySpan<byte> bytes, in Iced.Intel.Instruction insn, in Hal.X86.X86Operands r)
        {
            string text = Hal.X86.X86Decoder.Format(insn);
            string operands = insn.Code switch
            {
                Iced.Intel.Code.Wrmsr => $" ; ecx=0x{r.Rcx:x} edx:eax=0x{(r.Rdx << 32) | (uint)r.Rax:x}",
                Iced.Intel.Code.Rdmsr => $" ; ecx=0x{r.Rcx:x}",
                Iced.Intel.Code.Invpcid_r64_m128 => $" ; rax={r.Rax} rcx=0x{r.Rcx:x}",
                Iced.Intel.Code.Sysretq => $" ; rcx=0x{r.Rcx:x}",
                Iced.Intel.Code.Mov_cr_r64 or Iced.Intel.Code.Invlpg_m => $" ; rax=0x{r.Rax:x}",
                _ => "",
            };
            output.WriteLine($"  cpu{cpu} @{cycle,8}  {Convert.ToHexString(bytes).ToLowerInvariant(),-10}  {text,-28}{operands}");
        }

        public void OnInstruction(int cpu, long cycle, uint encoding, ulong operand)
        {
            var insn = Instruction.Decode(encoding);
            bool hasOperand = insn.Kind is InstructionKind.Msr or InstructionKind.At || (insn.Kind == InstructionKind.Tlbi && insn.Tlbi.HasOperand());
            output.WriteLine($"  cpu{cpu} @{cycle,8}  {encoding:x8}  {insn,-28}{(hasOperand ? $" ; x{insn.Rt}=0x{operand:x}" : "")}");
        }
    }
}
