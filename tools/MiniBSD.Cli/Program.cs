using System.CommandLine;
using MiniBSD.Cli.Boot;
using MiniBSD.Cli.MmuAt;

namespace MiniBSD.Cli;

/// <summary>The <c>minibsd</c> command: boot the machine, and the MMU translation explainer.</summary>
public static class Program
{
    public static int Main(string[] args) => Build(Console.Out, Console.Error).Parse(args).Invoke();

    public static RootCommand Build(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("MiniBSD: a small BSD kernel on an emulated arm64 machine");
        root.Subcommands.Add(BootCommandLine(stdout, stderr));
        var mmu = new Command("mmu", "The emulated MMU: translate addresses and explain walks");
        mmu.Subcommands.Add(MmuAtCommandLine(stdout, stderr));
        root.Subcommands.Add(mmu);
        return root;
    }

    private static Command BootCommandLine(TextWriter stdout, TextWriter stderr)
    {
        var cpus = new Option<int>("--cpus") { Description = "Number of CPUs (1-64)", DefaultValueFactory = _ => 4 };
        var memory = new Option<string>("--memory") { Description = "RAM size, e.g. 512M or 4G", DefaultValueFactory = _ => "512M" };
        var paBits = new Option<int>("--pa-bits") { Description = "Physical address width (ID_AA64MMFR0_EL1.PARange): 32, 36, 40, 42, 44 or 48", DefaultValueFactory = _ => 48 };
        var asidBits = new Option<int>("--asid-bits") { Description = "ASID width: 8 or 16", DefaultValueFactory = _ => 16 };
        var trace = new Option<bool>("--trace") { Description = "Print every system instruction with its encoding and disassembly" };
        var costs = new Option<string?>("--costs") { Description = "A JSON file overriding entries of the simulated-cycle cost table, e.g. {\"WalkRead\": 40}" };
        var cmd = new Command("boot", "Boot the machine: MMU bring-up on every CPU and a self-check of translation and TLB maintenance")
        {
            cpus, memory, paBits, asidBits, trace, costs,
        };
        cmd.SetAction(r =>
        {
            string size = r.GetValue(memory)!;
            if (!BootCommand.TryParseSize(size, out ulong bytes))
            {
                stderr.WriteLine($"minibsd boot: --memory '{size}' is not a size such as 512M or 4G");
                return 2;
            }
            return BootCommand.Run(new BootOptions(r.GetValue(cpus), bytes, r.GetValue(paBits), r.GetValue(asidBits), r.GetValue(trace), r.GetValue(costs)), stdout, stderr);
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
}
