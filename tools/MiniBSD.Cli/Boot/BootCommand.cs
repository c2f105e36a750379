using System.Globalization;
using MiniBSD.Hal;
using MiniBSD.Hal.Cost;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Tlb;
using MiniBSD.Kernel.Arch.Arm64;
using MiniBSD.Kernel.Dev;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Cli.Boot;

/// <summary>The options of <c>minibsd boot</c>.</summary>
public sealed record BootOptions(int Cpus, ulong MemoryBytes, int PaBits, int AsidBits, bool Trace, string? CostsFile = null)
{
    /// <summary>The first option that is out of range, named as on the command line, or null.</summary>
    public string? Problem() =>
        Cpus is < 1 or > 64 ? $"--cpus {Cpus}: a machine has 1 to 64 CPUs"
        : PaBits is not (32 or 36 or 40 or 42 or 44 or 48) ? $"--pa-bits {PaBits}: must be 32, 36, 40, 42, 44 or 48"
        : AsidBits is not (8 or 16) ? $"--asid-bits {AsidBits}: must be 8 or 16"
        : MemoryBytes < MachineConfig.MiB || MemoryBytes > 64 * MachineConfig.GiB || MemoryBytes % 4096 != 0
            ? $"--memory {MemoryBytes} bytes: RAM is 1 MiB to 64 GiB, a multiple of 4 KiB"
        : null;
}

/// <summary>
/// <c>minibsd boot</c>: builds the machine, runs locore's MMU bring-up on every CPU, runs the MMU self-check and
/// prints what happened. (Processes, init and the shell arrive with a later issue.)
/// </summary>
public static class BootCommand
{
    public static int Run(BootOptions o, TextWriter stdout, TextWriter stderr)
    {
        string? problem = o.Problem();
        var costs = CostTable.Default;
        if (problem is null && o.CostsFile is not null)
        {
            try { costs = CostTable.Load(o.CostsFile); }
            catch (FormatException e) { problem = $"--costs {e.Message}"; }
            catch (IOException e) { problem = $"--costs {o.CostsFile}: {e.Message}"; }
        }
        var config = new MachineConfig { Cpus = o.Cpus, MemoryBytes = o.MemoryBytes, PaBits = o.PaBits, AsidBits = o.AsidBits, Costs = costs };
        if (problem is null)
        {
            try { config.Validate(); }
            catch (ArgumentException e) { problem = e.Message; }
        }
        if (problem is not null)
        {
            stderr.WriteLine($"minibsd boot: {problem}");
            return 2;
        }
        var machine = new Machine(config);
        if (o.Trace) machine.Trace = new ConsoleInstructionTrace(stdout);
        var cpu0 = machine.Cpus[0];
        stdout.WriteLine($"MiniBSD on an emulated arm64 machine: {o.Cpus} CPU{(o.Cpus == 1 ? "" : "s")}, {FormatSize(o.MemoryBytes)} RAM at 0x{machine.Memory.Base:X}, "
            + $"PARange {o.PaBits} bits, {o.AsidBits}-bit ASIDs, TLB {config.Tlb.Capacity} entries per CPU");
        var boot = Locore.Start(machine);
        machine.Console.Sink = stdout;
        Pl011Console.Cnputs(cpu0, $"MiniBSD: console on a PL011 UART at 0x{machine.Console.Base:X} (mapped at 0x{VmParam.UartVa:X})\n");
        stdout.WriteLine($"locore: TTBR1 tables at 0x{boot.KernelL0:X}: direct map of RAM at 0x{VmParam.DirectMapBase:X} "
            + $"({boot.DirectMapBlocks} 2 MiB blocks, {boot.DirectMapPages} 4 KiB pages, {boot.TextPages} of them kernel text)");
        stdout.WriteLine($"locore: empty TTBR0 table at 0x{boot.EmptyL0:X}; bootstrap used {(boot.FirstFree - machine.Memory.Base - VmParam.KernelImageSize) / 4096} frames after the kernel image");
        stdout.WriteLine($"cpu0-{o.Cpus - 1}: MAIR_EL1 {cpu0.Mair}, TCR_EL1 {cpu0.Tcr}");
        stdout.WriteLine($"cpu0-{o.Cpus - 1}: SCTLR_EL1 {cpu0.Sctlr}: MMU on");
        var pages = new UvmPage(machine, boot.FirstFree);
        var pmaps = new PmapSystem(machine, boot, pages);
        stdout.WriteLine($"uvm: {pages.TotalPages} pages managed from 0x{boot.FirstFree:X}; pmap: {pmaps.Asids.Count - 1} user ASIDs");
        var check = new MmuSelfCheck(machine, boot, pages, pmaps);
        stdout.WriteLine("MMU self-check:");
        foreach (var step in check.Run())
            stdout.WriteLine($"  [{(step.Passed ? "ok" : "FAILED")}] {step.Name}: {step.Detail}");
        PrintSummary(machine, stdout);
        stdout.WriteLine($"  pages: {pages.Format()}");
        if (!check.Passed) { stderr.WriteLine("minibsd boot: the MMU self-check failed"); return 1; }
        return 0;
    }

    private static void PrintSummary(Machine machine, TextWriter stdout)
    {
        stdout.WriteLine("summary:");
        foreach (var cpu in machine.Cpus)
            stdout.WriteLine($"  cpu{cpu.Id}: {cpu.Clock} cycles ({cpu.Clock * 1e6 / machine.Costs.FrequencyHz:F2} us simulated), TLB holds {cpu.Tlb.Count}");
        stdout.WriteLine(machine.TotalCounters().Format("  "));
        stdout.WriteLine($"  RAM frames with host memory: {machine.Memory.BackedFrames} of {machine.Memory.FrameCount}");
        stdout.WriteLine($"  TLB coherence checker: {machine.Checker.Violations.Count} violation(s)");
    }

    /// <summary>Parses "512M", "4G", "65536K" or a number of bytes.</summary>
    public static bool TryParseSize(string text, out ulong bytes)
    {
        bytes = 0;
        string t = text.Trim().ToUpperInvariant().TrimEnd('B').TrimEnd('I');
        ulong unit = t.EndsWith('K') ? 1UL << 10 : t.EndsWith('M') ? 1UL << 20 : t.EndsWith('G') ? 1UL << 30 : 1;
        if (unit != 1) t = t[..^1];
        if (!ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) || n > ulong.MaxValue / unit) return false;
        bytes = n * unit;
        return true;
    }

    public static string FormatSize(ulong bytes) =>
        bytes % (1UL << 30) == 0 ? $"{bytes >> 30} GiB" : bytes % (1UL << 20) == 0 ? $"{bytes >> 20} MiB" : $"{bytes >> 10} KiB";

    /// <summary>Prints each system instruction as "cpuN @cycle  encoding  disassembly  (Xt value)".</summary>
    private sealed class ConsoleInstructionTrace(TextWriter output) : IInstructionTrace
    {
        public void OnInstruction(int cpu, long cycle, uint encoding, ulong operand)
        {
            var insn = Instruction.Decode(encoding);
            bool hasOperand = insn.Kind is InstructionKind.Msr or InstructionKind.At || (insn.Kind == InstructionKind.Tlbi && insn.Tlbi.HasOperand());
            output.WriteLine($"  cpu{cpu} @{cycle,8}  {encoding:x8}  {insn,-28}{(hasOperand ? $" ; x{insn.Rt}=0x{operand:x}" : "")}");
        }
    }
}
