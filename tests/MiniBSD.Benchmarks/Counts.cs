using MiniBSD.Hal.Cost;
using MiniBSD.Hal.Tlb;
using MiniBSD.Kernel.Arch.Arm64;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Benchmarks;

/// <summary>
/// <c>-- --counts</c>: the simulated side of the uvm benchmarks, which is deterministic: TLB invalidations by op,
/// table accesses and simulated cycles on the CPU that does the work, for each scenario run once.
/// </summary>
internal static class Counts
{
    public static void Print(TextWriter o)
    {
        o.WriteLine("| scenario | TLBI VAE1IS | TLBI ASIDE1IS | other TLBIs | loads+stores | simulated cycles |");
        o.WriteLine("|---|---:|---:|---:|---:|---:|");
        Row(o, "zero-fill faults, 1,000 pages", w => { }, (w, vm) => { w.Touch(vm, w.MapFresh(vm, 1000), 1000); return null; });
        Row(o, "uvmspace_fork, 1,000 resident pages (write-protects the parent's pages)", w => { }, (w, vm) => w.Uvm.UvmspaceFork(w.Cpu, vm));
        Row(o, "copy-on-write faults in the child, 1,000 pages", w => { }, (w, vm) =>
        {
            var child = w.Uvm.UvmspaceFork(w.Cpu, vm)!;
            w.Pmaps.PmapActivate(w.Cpu, child.Pmap, curproc: false);
            return child;
        }, (w, child) =>
        {
            foreach (var e in child.Map.Entries)
                for (ulong va = e.Start; va < e.End; va += 4096)
                    if (e.Amap?.Anons[e.Slot(va)] is not null) w.Uvm.UvmFault(w.Cpu, child.Map, va, VmProt.Write);
        });
        foreach (var walk in new[] { PmapRemoveWalk.PageByPage, PmapRemoveWalk.SkipAbsent })
        {
            Row(o, $"teardown after pmap_purge, {walk}", w => w.Arm64.RemoveWalk = walk, (w, vm) => { w.ExitPurge(vm); return null; }, ownsSpace: true);
            Row(o, $"teardown with the pmap active, {walk}", w => w.Arm64.RemoveWalk = walk, (w, vm) => { w.ExitActive(vm); return null; }, ownsSpace: true);
        }
        ForkExit(o, pages: 16, cycles: 1000);
    }

    /// <summary>The forkexit loop: simulated cycles and TLB invalidations per fork + exit + wait, averaged.</summary>
    private static void ForkExit(TextWriter o, int pages, int cycles)
    {
        var w = new ForkExitWorld(pages);
        var before = w.Machine.TotalCounters();
        long cpu0 = w.Machine.Cpus[0].Clock, cpu1 = w.Machine.Cpus[1].Clock;
        for (int i = 0; i < cycles; i++) w.Cycle();
        var after = w.Machine.TotalCounters();
        o.WriteLine();
        o.WriteLine($"forkexit, {pages} copy-on-write pages, per cycle over {cycles}: " +
            $"cpu0 {(w.Machine.Cpus[0].Clock - cpu0) / cycles} simulated cycles, cpu1 {(w.Machine.Cpus[1].Clock - cpu1) / cycles}; " +
            $"TLBI VAE1IS {(double)(after.Tlbi(TlbiOp.Vae1Is) - before.Tlbi(TlbiOp.Vae1Is)) / cycles:0.##}, " +
            $"ASIDE1IS {(double)(after.Tlbi(TlbiOp.Aside1Is) - before.Tlbi(TlbiOp.Aside1Is)) / cycles:0.##}, " +
            $"all {(double)(after.TlbiTotal - before.TlbiTotal) / cycles:0.##}; forks {w.Fork.Forks}, processes left {w.Procs.Count}");
    }

    /// <summary>
    /// One scenario: <paramref name="prepare"/> may make a second space (not measured); <paramref name="measured"/>
    /// runs on it (or the prepared result is what is measured when no step is given); spaces are freed afterwards.
    /// </summary>
    private static void Row(TextWriter o, string name, Action<UvmWorld> configure, Func<UvmWorld, Vmspace, Vmspace?> prepare,
        Action<UvmWorld, Vmspace>? measured = null, bool ownsSpace = false)
    {
        var w = new UvmWorld();
        configure(w);
        var vm = w.Process();
        Vmspace? other = null;
        if (measured is not null) other = prepare(w, vm);
        var before = Snapshot(w);
        long cycles = w.Cpu.Clock;
        if (measured is null) other = prepare(w, vm);
        else measured(w, other!);
        var after = Snapshot(w);
        long vae = after.Tlbi(TlbiOp.Vae1Is) - before.Tlbi(TlbiOp.Vae1Is);
        long aside = after.Tlbi(TlbiOp.Aside1Is) - before.Tlbi(TlbiOp.Aside1Is);
        long rest = after.TlbiTotal - before.TlbiTotal - vae - aside;
        o.WriteLine($"| {name} | {vae} | {aside} | {rest} | {after.Accesses - before.Accesses} | {w.Cpu.Clock - cycles} |");
        if (other is not null) w.Exit(other);
        if (!ownsSpace) w.Exit(vm);
    }

    private static CpuCounters Snapshot(UvmWorld w)
    {
        var c = new CpuCounters();
        c.Add(w.Cpu.Counters);
        return c;
    }
}
