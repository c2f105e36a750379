using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using MiniBSD.Cli.MmuAt;
using MiniBSD.Hal.Memory;
using MiniBSD.Hal.X86;

namespace MiniBSD.Cli.MmuWalk;

/// <summary>
/// Runs a walk scenario: loads the image into RAM, then translates each case in order with the amd64 CPU's 4-level
/// walker (Intel SDM Vol. 3A §4.5-4.8), which sets A and D in memory as hardware does, so a later case sees what an
/// earlier one set. Each case gets "pa" (the physical address of the byte at va), "pf" (the #PF error code) or
/// "gp": true (a non-canonical address).
/// </summary>
public static class WalkRunner
{
    public static ScenarioResult Run(WalkScenario s, bool explain)
    {
        var memory = new PhysicalMemory(s.RamSize, s.RamBase);
        memory.WriteBytes(s.ImageBase, s.Image);
        var output = (JsonObject)s.Json.DeepClone();
        var cases = (JsonArray)output["cases"]!;
        var text = new StringBuilder();
        if (explain) text.Append(CultureInfo.InvariantCulture, $"{s.Path}: CR0={s.State.Cr0} CR3={s.State.Cr3}\n  CR4={s.State.Cr4} EFER={s.State.Efer} MAXPHYADDR={s.State.PaBits}\n");
        for (int i = 0; i < s.Cases.Count; i++)
        {
            var c = s.Cases[i];
            var trace = explain ? new PagingTrace() : null;
            var walk = PagingWalker.Walk(memory, s.State, c.Va, c.Access, new PagingWalker.Options(c.Cpl, c.Ac, Trace: trace));
            var node = (JsonObject)cases[i]!;
            switch (walk.Fault)
            {
                case X86Fault.GeneralProtection: node["gp"] = true; break;
                case X86Fault.PageFault: node["pf"] = "0x" + ((uint)walk.Error).ToString("x", CultureInfo.InvariantCulture); break;
                default: node["pa"] = "0x" + walk.PhysicalAddress(c.Va).ToString("x", CultureInfo.InvariantCulture); break;
            }
            if (trace is not null) text.Append(Describe(i, c, trace));
        }
        return new ScenarioResult(output, text.ToString());
    }

    private static string Describe(int index, WalkCase c, PagingTrace trace)
    {
        var sb = new StringBuilder();
        string access = c.Access switch { Hal.Mmu.AccessType.Read => "read", Hal.Mmu.AccessType.Write => "write", _ => "fetch" };
        sb.Append(CultureInfo.InvariantCulture, $"case {index}: CPL{c.Cpl} {access}{(c.Ac ? ", RFLAGS.AC=1" : "")}, VA 0x{c.Va:X16}\n");
        foreach (var (level, table, slot, address, entry) in trace.Steps)
            sb.Append(CultureInfo.InvariantCulture, $"  {PageEntry.LevelName(level),-5}: table 0x{table:X}[{slot}] @ 0x{address:X} = 0x{entry:X16}  {new PageEntry(entry).Describe(level)}\n");
        sb.Append("  walk ends: ").Append(trace.Outcome).Append('\n');
        return sb.ToString();
    }
}
