using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using MiniBSD.Hal;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Registers;

namespace MiniBSD.Cli.MmuAt;

/// <summary>What running a scenario produced: the output JSON and, when asked, the explanation of every case.</summary>
public sealed record ScenarioResult(JsonObject Output, string Explanation);

/// <summary>
/// Runs a scenario on a one-CPU machine: loads the image, programs MAIR, TCR, TTBR0/1 and SCTLR with MSR,
/// then executes each case's AT in order on the same CPU and reads PAR_EL1 with MRS, adding "par" to the case.
/// A synchronous external abort on the walk is taken as a Data Abort, as the architecture says: PAR_EL1 keeps its
/// previous value and the case also gets "exception": {"esr", "far"}.
/// </summary>
public static class ScenarioRunner
{
    public static ScenarioResult Run(Scenario s, bool explain)
    {
        var machine = new Machine(new MachineConfig
        {
            Cpus = 1,
            PaBits = s.PaBits,
            AsidBits = s.AsidBits,
            RamBase = s.RamBase,
            MemoryBytes = s.RamSize,
        });
        machine.Memory.WriteBytes(s.ImageBase, s.Image);
        var cpu = machine.Cpus[0];
        Program(cpu, s);
        var output = (JsonObject)s.Json.DeepClone();
        var cases = (JsonArray)output["cases"]!;
        var text = new StringBuilder();
        if (explain) text.Append(CultureInfo.InvariantCulture, $"{s.Path}: TCR_EL1={new Tcr(s.Tcr)}\n  SCTLR_EL1={new Sctlr(s.Sctlr)} MAIR_EL1={new Mair(s.Mair)}\n  TTBR0_EL1={new Ttbr(s.Ttbr0)} TTBR1_EL1={new Ttbr(s.Ttbr1)}\n");
        for (int i = 0; i < s.Cases.Count; i++)
        {
            var c = s.Cases[i];
            if (explain) text.Append(Describe(i, c, Trace(machine, cpu, c)));
            long taken = cpu.Counters.ExceptionsTaken;
            cpu.Execute(A64.At(c.Op), c.Va);
            var par = new Par(cpu.Mrs(SysReg.ParEl1));
            var node = (JsonObject)cases[i]!;
            node["par"] = Hex(par.Value);
            if (cpu.Counters.ExceptionsTaken != taken)
            {
                var esr = new Esr(cpu.Mrs(SysReg.EsrEl1));
                ulong far = cpu.Mrs(SysReg.FarEl1);
                node["exception"] = new JsonObject { ["esr"] = Hex(esr.Value), ["far"] = Hex(far) };
                if (explain) text.Append(CultureInfo.InvariantCulture, $"  => Data Abort taken: ESR_EL1={esr} FAR_EL1=0x{far:X}; PAR_EL1 unchanged {par}\n");
            }
            else if (explain)
            {
                text.Append(CultureInfo.InvariantCulture, $"  => PAR_EL1 = {par}\n");
            }
        }
        return new ScenarioResult(output, text.ToString());
    }

    /// <summary>What a kernel's start-up does: MAIR, TCR, TTBRs, then SCTLR, then ISB (reference §1).</summary>
    private static void Program(Cpu cpu, Scenario s)
    {
        try
        {
            cpu.Msr(SysReg.MairEl1, s.Mair);
            cpu.Msr(SysReg.TcrEl1, s.Tcr);
            cpu.Msr(SysReg.Ttbr0El1, s.Ttbr0);
            cpu.Msr(SysReg.Ttbr1El1, s.Ttbr1);
            cpu.Msr(SysReg.SctlrEl1, s.Sctlr);
            cpu.Isb();
        }
        catch (UnsupportedFeatureException e)
        {
            throw new ScenarioException($"{s.Path}: field 'tcr': {e.Message}", e);
        }
    }

    private static WalkTrace Trace(Machine machine, Cpu cpu, ScenarioCase c)
    {
        var trace = new WalkTrace();
        TableWalker.Walk(machine.Memory, cpu.Regime, c.Va, c.Op.IsWrite() ? AccessType.Write : AccessType.Read,
            new TableWalker.Options(c.Op.IsEl0(), Pan: false, UpdateDescriptors: false, trace));
        return trace;
    }

    private static string Describe(int index, ScenarioCase c, WalkTrace trace)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"case {index}: AT {c.Op.Mnemonic().ToUpperInvariant()}, VA 0x{c.Va:X16}\n");
        foreach (var note in trace.Notes.Take(1)) sb.Append("  ").Append(note).Append('\n');
        foreach (var step in trace.Steps)
            sb.Append(CultureInfo.InvariantCulture, $"  L{step.Level}: table 0x{step.TableAddress:X}[{step.Index}] @ 0x{step.DescriptorAddress:X} = 0x{step.Descriptor:X16}  {new Descriptor(step.Descriptor).Describe(step.Level)}\n");
        foreach (var note in trace.Notes.Skip(1)) sb.Append("  ").Append(note).Append('\n');
        sb.Append("  walk ends: ").Append(trace.Outcome).Append('\n');
        return sb.ToString();
    }

    public static string Hex(ulong value) => "0x" + value.ToString("x16", CultureInfo.InvariantCulture);
}
