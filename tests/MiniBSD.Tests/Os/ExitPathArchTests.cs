using Iced.Intel;
using MiniBSD.Hal;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Tlb;
using MiniBSD.Hal.X86;
using MiniBSD.Kernel.Kern;
using Instruction = MiniBSD.Hal.Isa.Instruction;

namespace MiniBSD.Tests.Os;

/// <summary>
/// Issue #11's figures per exit, side by side: a single-threaded process with 1,000 resident pages exits on an
/// 8-CPU machine of each architecture under each exit path; what its CPU executed in exit1, and the reaper in
/// uvm_exit, counted from the instruction trace. arm64 purges with one ASID flush; amd64 has no pmap_purge and tears
/// down with the pmap loaded, flushing locally and sending no IPI, since no other CPU runs the pmap.
/// </summary>
public sealed class ExitPathArchTests
{
    private const int Pages = 1000;

    private sealed class Recorder : IInstructionTrace
    {
        public readonly List<(int Cpu, long Cycle, Instruction Arm, Code X86, X86Operands Regs)> All = [];
        public void OnInstruction(int cpu, long cycle, uint encoding, ulong operand) => All.Add((cpu, cycle, Instruction.Decode(encoding), Code.INVALID, default));
        public void OnX86Instruction(int cpu, long cycle, ReadOnlySpan<byte> bytes, in Iced.Intel.Instruction insn, in X86Operands regs) =>
            All.Add((cpu, cycle, default, insn.Code, regs));

        public int Count(int cpu, long from, long to, Func<(Instruction Arm, Code X86, X86Operands Regs), bool> which) =>
            All.Count(i => i.Cpu == cpu && i.Cycle >= from && i.Cycle <= to && which((i.Arm, i.X86, i.Regs)));
    }

    /// <summary>What one exit cost: in exit1 (its CPU, exit1 to sched_exit) and in the reaper's uvm_exit.</summary>
    private sealed record Costs(int Aside1Is, int Vae1Is, int Invpcid0, int Invpcid1, int Cr3Writes, int Ipis, int ReaperTlbis, int ReaperInvpcids, int ReaperIpis);

    private static Costs Exit(Arch arch, ExitPath path)
    {
        var s = new MiniSystem($"memtouch {Pages}\necho done\n", cpus: 8, exitPath: path, arch: arch);
        var t = new Recorder();
        s.Machine.Trace = t;
        s.Kernel.Exit.Stats.Record = true;
        Assert.Equal("done\n", s.Run());
        s.AssertCleanHalt();
        var events = s.Kernel.Exit.Stats.Events;
        int pid = events.Single(e => e.Step is ExitStep.UvmPurge or ExitStep.UvmExit && e.Detail >= Pages).Pid;
        var mine = events.Where(e => e.Pid == pid).ToList();
        var (exit1, end) = (mine.Single(e => e.Step == ExitStep.Exit1), mine.Single(e => e.Step == ExitStep.SchedExit));
        var (reaper, uvmExit) = (mine.Single(e => e.Step == ExitStep.Reaper), mine.Single(e => e.Step == ExitStep.UvmExit));
        int In(Func<(Instruction Arm, Code X86, X86Operands Regs), bool> w) => t.Count(exit1.Cpu, exit1.Time, end.Time, w);
        int Reaper(Func<(Instruction Arm, Code X86, X86Operands Regs), bool> w) => t.Count(reaper.Cpu, reaper.Time, uvmExit.Time, w);
        static bool Tlbi((Instruction Arm, Code X86, X86Operands Regs) i) => i.Arm.Kind == InstructionKind.Tlbi;
        static bool Ipi((Instruction Arm, Code X86, X86Operands Regs) i) => i.X86 == Code.Wrmsr && i.Regs.Rcx == Msr.X2ApicIcr;
        static bool Invpcid((Instruction Arm, Code X86, X86Operands Regs) i) => i.X86 == Code.Invpcid_r64_m128;
        return new Costs(
            In(i => Tlbi(i) && i.Arm.Tlbi == TlbiOp.Aside1Is), In(i => Tlbi(i) && i.Arm.Tlbi == TlbiOp.Vae1Is),
            In(i => Invpcid(i) && i.Regs.Rax == 0), In(i => Invpcid(i) && i.Regs.Rax == 1),
            In(i => i.X86 == Code.Mov_cr_r64), In(Ipi),
            Reaper(Tlbi), Reaper(Invpcid), Reaper(Ipi));
    }

    [Theory]
    [InlineData(Arch.Arm64, ExitPath.Purge)]
    [InlineData(Arch.Arm64, ExitPath.Reaper)]
    [InlineData(Arch.Amd64, ExitPath.Purge)]
    [InlineData(Arch.Amd64, ExitPath.Reaper)]
    public void The_exit_latency_and_the_reapers_time_are_exactly_their_parts(Arch arch, ExitPath path)
    {
        var s = new MiniSystem($"memtouch {Pages}\nexitstorm 8 4\necho done\n", cpus: 4, exitPath: path, arch: arch);
        Assert.Equal("done\n", s.Run());
        s.AssertCleanHalt();
        var stats = s.Kernel.Exit.Stats;
        Assert.NotEmpty(stats.Processes);
        foreach (var e in stats.Processes)
        {
            Assert.Equal(e.Latency, e.InExit1 + e.OnDeadproc + e.InReaper + e.ToWait4);
            Assert.All(new[] { e.InExit1, e.OnDeadproc, e.InReaper, e.ToWait4 }, part => Assert.True(part >= 0, $"pid {e.Pid}: {e}"));
            Assert.True(e.InExit1 >= e.Exit1TeardownCycles, $"pid {e.Pid}: {e}");   // one CPU's clock: exact
            // (The reaper's part starts when the thread went on deadproc or when the reaper took it, whichever is later,
            // so a reaper whose clock runs behind the exiting CPU's shows less than its own teardown cycles.)
        }
        var big = stats.Processes.Single(e => e.Command == "memtouch");
        if (path == ExitPath.Purge) Assert.True(big.InExit1 > big.InReaper, $"purge tears down in exit1: {big}");
        else Assert.True(big.InReaper > big.InExit1, $"the reaper tears down: {big}");
        var (a, b, c, d) = stats.LatencyParts;
        Assert.Equal(stats.Latencies.Sum(), a + b + c + d);
        // The reaper's busy time in its three parts: uvm_exit, taking KERNEL_LOCK, the zombie step.
        Assert.Equal(stats.ReaperBusyCycles, stats.ReaperTeardownCycles + stats.ReaperLockCycles + stats.ReaperZombieCycles);
        // On the reaper path its uvm_exit is the teardown and dominates; with purge it is only pmap_destroy's, and
        // waiting for KERNEL_LOCK can take longer.
        if (path == ExitPath.Reaper) Assert.True(stats.ReaperTeardownCycles > stats.ReaperLockCycles + stats.ReaperZombieCycles, $"teardown {stats.ReaperTeardownCycles}, lock {stats.ReaperLockCycles}, zombie {stats.ReaperZombieCycles}");
    }

    [Fact]
    public void On_arm64_purge_flushes_the_asid_once_and_the_reaper_path_none_in_exit1()
    {
        var purge = Exit(Arch.Arm64, ExitPath.Purge);
        Assert.Equal((2, 0), (purge.Aside1Is, purge.Vae1Is));        // pmap_purge: TLBI ASIDE1IS for each of the pair, no per-page TLBI
        Assert.Equal(2, purge.ReaperTlbis);                           // pmap_destroy frees the pair: TLBI ASIDE1IS twice
        var reaper = Exit(Arch.Arm64, ExitPath.Reaper);
        Assert.Equal((0, 0), (reaper.Aside1Is, reaper.Vae1Is));      // exit1 only deactivates
        Assert.Equal(2, reaper.ReaperTlbis);                          // the teardown of an inactive pmap: no per-page TLBI
        var unordered = Exit(Arch.Arm64, ExitPath.PurgeUnordered);
        Assert.True(unordered.Vae1Is >= 2 * Pages, $"{unordered.Vae1Is} TLBI VAE1IS for {Pages} pages");   // one broadcast a page and ASID
    }

    [Fact]
    public void On_amd64_purge_sends_no_ipi_and_the_reaper_path_invalidates_nothing()
    {
        var purge = Exit(Arch.Amd64, ExitPath.Purge);
        Assert.Equal(0, purge.Ipis);                                  // no other CPU has the pmap as ci_proc_pmap
        // Per map entry: the heap (1,000 pages) and the stack (64) are over 32 pages, one INVPCID type 1 each; the
        // three one-page entries (text, data, bss) one INVPCID type 0 a page.
        Assert.Equal((3, 2), (purge.Invpcid0, purge.Invpcid1));
        Assert.Equal(0, purge.Cr3Writes);                             // pmap_deactivate leaves CR3; cpu_switchto changes it
        Assert.Equal((0, 0), (purge.ReaperInvpcids, purge.ReaperIpis));   // pmap_destroy does no TLB work
        var reaper = Exit(Arch.Amd64, ExitPath.Reaper);
        Assert.Equal((0, 0, 0), (reaper.Invpcid0 + reaper.Invpcid1, reaper.Ipis, reaper.Cr3Writes));
        Assert.Equal((0, 0), (reaper.ReaperInvpcids, reaper.ReaperIpis));  // inactive everywhere: neither local nor remote
        Assert.Equal(purge, Exit(Arch.Amd64, ExitPath.PurgeUnordered));  // no pmap_purge to leave out: the same path
    }

    [Fact]
    public void The_first_try_removes_the_whole_user_space_page_by_page_with_the_pmap_loaded()
    {
        var arm = Exit(Arch.Arm64, ExitPath.PurgeRemoveAll);
        Assert.Equal(0, arm.Aside1Is);                                 // no pmap_purge
        Assert.True(arm.Vae1Is >= Pages, $"{arm.Vae1Is} TLBI VAE1IS for {Pages} pages");   // each removed page invalidated
        var x86 = Exit(Arch.Amd64, ExitPath.PurgeRemoveAll);
        // The whole range first (over 32 pages: one INVPCID type 1), then each entry's pmap_remove finds nothing but
        // still shoots its range, as pmap_do_remove does: purge's (3, 2) plus one.
        Assert.Equal((3, 3, 0), (x86.Invpcid0, x86.Invpcid1, x86.Ipis));
    }

    [Theory]
    [InlineData(Arch.Arm64, 1L << 27)]   // a pmap_vp_lookup for each page of 2^39 bytes, the L0 entry at least
    [InlineData(Arch.Amd64, 1L << 26)]   // a pmap_pdes_valid for each 2 MiB block of the 2^47-byte user space
    public void The_first_try_costs_a_lookup_for_every_page_of_the_address_space(Arch arch, long lookups)
    {
        var s = new MiniSystem($"memtouch {Pages}\necho done\n", cpus: 2, exitPath: ExitPath.PurgeRemoveAll, arch: arch);
        Assert.Equal("done\n", s.Run());
        s.AssertCleanHalt();
        var memtouch = s.Kernel.Exit.Stats.Processes.Single(e => e.Command == "memtouch");
        Assert.True(memtouch.Exit1TeardownCycles >= lookups * s.Machine.Costs.AccessTlbHit, $"{memtouch.Exit1TeardownCycles} cycles");
        Assert.True(s.Machine.TotalCounters().TlbHits >= lookups * s.Kernel.Exit.Stats.Exits);
    }
}
