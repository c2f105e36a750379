using MiniBSD.Hal;
using MiniBSD.Hal.Check;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Tlb;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Tests.Os;

/// <summary>
/// Issue #5: the four exit paths, step by step (the kernel's exit events and the system instructions each CPU ran),
/// and the acceptance figures at a small scale: a process with 1,000 resident pages exits under each path.
/// </summary>
public sealed class ExitPathTests
{
    private const int Pages = 1000;

    /// <summary>Every system instruction, by CPU, with its time.</summary>
    private sealed class Recorder : IInstructionTrace
    {
        public readonly List<(int Cpu, long Cycle, Instruction Insn)> All = [];
        public void OnInstruction(int cpu, long cycle, uint encoding, ulong operand) => All.Add((cpu, cycle, Instruction.Decode(encoding)));

        /// <summary>TLBIs of <paramref name="op"/> that <paramref name="cpu"/> issued in [<paramref name="from"/>, <paramref name="to"/>].</summary>
        public int Tlbis(int cpu, long from, long to, TlbiOp op) =>
            All.Count(i => i.Cpu == cpu && i.Cycle >= from && i.Cycle <= to && i.Insn.Kind == InstructionKind.Tlbi && i.Insn.Tlbi == op);

        public List<Instruction> Between(int cpu, long from, long to) =>
            All.Where(i => i.Cpu == cpu && i.Cycle >= from && i.Cycle <= to).Select(i => i.Insn).ToList();
    }

    private sealed record Run(MiniSystem System, Recorder Trace, int Pid, List<ExitEvent> Steps);

    /// <summary>Boots with `memtouch 1000` as the only command and follows that process's end.</summary>
    private static Run Exit1000Pages(ExitPath path, int cpus = 2, bool asidPair = true)
    {
        var s = new MiniSystem($"memtouch {Pages}\necho done\n", cpus: cpus, exitPath: path, asidPair: asidPair);
        var trace = new Recorder();
        s.Machine.Trace = trace;
        s.Kernel.Exit.Stats.Record = true;
        Assert.Equal("done\n", s.Run());
        var events = s.Kernel.Exit.Stats.Events;
        int pid = events.Single(e => e.Step is ExitStep.UvmPurge or ExitStep.UvmExit && e.Detail >= Pages).Pid;
        return new Run(s, trace, pid, events.Where(e => e.Pid == pid).ToList());
    }

    private static ExitEvent At(Run r, ExitStep step) => r.Steps.Single(e => e.Step == step);

    /// <summary>The order of a process's end when exit1 tears its space down (purge and purge-unordered alike).</summary>
    private static readonly ExitStep[] TeardownInExit1 =
    [
        ExitStep.Exit1, ExitStep.Fdfree, ExitStep.ReleaseKernelLock, ExitStep.UvmPurge, ExitStep.KernelLock, ExitStep.Zombprocess,
        ExitStep.PmapDeactivate, ExitStep.SchedExit, ExitStep.Exit2, ExitStep.Reaper, ExitStep.UvmExit, ExitStep.Zombie, ExitStep.Dowait6,
    ];

    [Fact]
    public void Purge_deactivates_first_and_invalidates_the_ASID_once_whatever_the_size()
    {
        var r = Exit1000Pages(ExitPath.Purge);
        Assert.Equal(TeardownInExit1, r.Steps.Select(e => e.Step));
        var exit1 = At(r, ExitStep.Exit1);
        var end = At(r, ExitStep.SchedExit);
        Assert.All(r.Steps.TakeWhile(e => e.Step != ExitStep.Exit2), e => Assert.Equal(exit1.Cpu, e.Cpu));
        Assert.Equal(0, At(r, ExitStep.PmapDeactivate).Detail);                     // pmap_purge left nothing to do
        Assert.Equal(1, At(r, ExitStep.ReleaseKernelLock).Detail);                  // exit(2) came in holding KERNEL_LOCK once
        Assert.True(At(r, ExitStep.UvmPurge).Detail >= Pages);                        // the frames are freed in exit1

        // pmap_purge on the exiting CPU: TTBR0 to the empty table, then one TLBI ASIDE1IS; no per-page TLBI.
        var insns = r.Trace.Between(exit1.Cpu, exit1.Time, end.Time);
        int ttbr0 = insns.FindIndex(i => i.Kind == InstructionKind.Msr && i.Register == SysReg.Ttbr0El1);
        int aside = insns.FindIndex(i => i.Kind == InstructionKind.Tlbi && i.Tlbi == TlbiOp.Aside1Is);
        Assert.True(ttbr0 >= 0 && aside > ttbr0, "pmap_purge: TTBR0 must leave the pmap before the ASID is invalidated");
        Assert.Equal(2, r.Trace.Tlbis(exit1.Cpu, exit1.Time, end.Time, TlbiOp.Aside1Is));   // the kernel/user ASID pair
        Assert.Equal(0, r.Trace.Tlbis(exit1.Cpu, exit1.Time, end.Time, TlbiOp.Vae1Is));
        // The reaper's uvm_exit: pmap_destroy frees the ASID with its own invalidation, 2 in all.
        var reaper = At(r, ExitStep.Reaper);
        var uvmExit = At(r, ExitStep.UvmExit);
        Assert.Equal(2, r.Trace.Tlbis(reaper.Cpu, reaper.Time, uvmExit.Time, TlbiOp.Aside1Is));   // pmap_free_asid: both of the pair
        Assert.Equal(0, r.Trace.Tlbis(reaper.Cpu, reaper.Time, uvmExit.Time, TlbiOp.Vae1Is));
        Assert.True(uvmExit.Detail < 10, $"uvm_exit freed {uvmExit.Detail} frames: only the page tables should be left");
        r.System.AssertCleanHalt();
    }

    [Fact]
    public void Purge_unordered_tears_down_while_active_and_pays_an_invalidation_a_page()
    {
        var r = Exit1000Pages(ExitPath.PurgeUnordered);
        Assert.Equal(TeardownInExit1, r.Steps.Select(e => e.Step));
        var exit1 = At(r, ExitStep.Exit1);
        var purge = At(r, ExitStep.UvmPurge);
        Assert.True(r.Trace.Tlbis(exit1.Cpu, exit1.Time, purge.Time, TlbiOp.Vae1Is) >= Pages);
        Assert.Equal(0, r.Trace.Tlbis(exit1.Cpu, exit1.Time, purge.Time, TlbiOp.Aside1Is));
        Assert.Equal(1, At(r, ExitStep.PmapDeactivate).Detail);                     // cpu_exit's deactivate has work to do
        r.System.AssertCleanHalt();
    }

    [Fact]
    public void Reaper_leaves_the_whole_teardown_to_the_reaper_after_pmap_deactivate()
    {
        var r = Exit1000Pages(ExitPath.Reaper);
        // exit(2) runs under KERNEL_LOCK (mi_syscall), and on this path exit1 keeps it to sched_exit.
        Assert.Equal([ExitStep.Exit1, ExitStep.Fdfree, ExitStep.Zombprocess, ExitStep.PmapDeactivate, ExitStep.SchedExit,
            ExitStep.Exit2, ExitStep.Reaper, ExitStep.UvmExit, ExitStep.Zombie, ExitStep.Dowait6], r.Steps.Select(e => e.Step));
        Assert.Equal(1, At(r, ExitStep.PmapDeactivate).Detail);
        var exit1 = At(r, ExitStep.Exit1);
        var end = At(r, ExitStep.SchedExit);
        Assert.Equal(0, r.Trace.Tlbis(exit1.Cpu, exit1.Time, end.Time, TlbiOp.Vae1Is) + r.Trace.Tlbis(exit1.Cpu, exit1.Time, end.Time, TlbiOp.Aside1Is));
        var reaper = At(r, ExitStep.Reaper);
        var uvmExit = At(r, ExitStep.UvmExit);
        Assert.True(uvmExit.Detail >= Pages);                                          // every frame is the reaper's to free
        Assert.Equal(0, r.Trace.Tlbis(reaper.Cpu, reaper.Time, uvmExit.Time, TlbiOp.Vae1Is));   // the pmap is inactive
        Assert.Equal(2, r.Trace.Tlbis(reaper.Cpu, reaper.Time, uvmExit.Time, TlbiOp.Aside1Is));   // pmap_free_asid: both of the pair
        r.System.AssertCleanHalt();
    }

    [Fact]
    public void With_the_asid_pair_purge_broken_is_caught_for_what_the_kernel_touched_under_its_own_asid()
    {
        var r = Exit1000Pages(ExitPath.PurgeBroken);
        var all = r.System.Machine.Checker.Violations;
        // exit1 runs under the even (kernel) ASID of the pair: the stale entries it leaves usable are those the kernel
        // made (execve's copyout of the arguments onto the stack); the process's own accesses are tagged with the odd
        // ASID, which nothing loads until pmap_free_asid has invalidated it.
        Assert.NotEmpty(all);
        Assert.All(all, v => Assert.Equal(CoherenceRule.FreedFrameStillMapped, v.Rule));
        Assert.All(all, v => Assert.Equal(0, v.Asid & 1));
        Assert.All(all, v => Assert.StartsWith("exit1 of pid ", v.Context));
    }

    [Fact]
    public void Purge_broken_is_caught_naming_the_process_the_cpu_the_ASID_and_the_frame()
    {
        // One ASID a pmap: every page the process touched is tagged with the ASID still loaded in exit1. (With the
        // kernel/user pair, only what the kernel touched is: see the next test.)
        var r = Exit1000Pages(ExitPath.PurgeBroken, asidPair: false);
        Assert.Equal(TeardownInExit1, r.Steps.Select(e => e.Step));
        Assert.Equal(1, At(r, ExitStep.PmapDeactivate).Detail);                     // still loaded after its teardown
        var exit1 = At(r, ExitStep.Exit1);
        var purge = At(r, ExitStep.UvmPurge);
        Assert.Equal(0, r.Trace.Tlbis(exit1.Cpu, exit1.Time, purge.Time, TlbiOp.Vae1Is) + r.Trace.Tlbis(exit1.Cpu, exit1.Time, purge.Time, TlbiOp.Aside1Is));
        var all = r.System.Machine.Checker.Violations;
        Assert.All(all, v => Assert.Equal(CoherenceRule.FreedFrameStillMapped, v.Rule));
        Assert.All(all, v => Assert.StartsWith("exit1 of pid ", v.Context));           // only exit1's teardowns are wrong
        // Every process that exited was caught (memtouch, echo, the sh that ran /etc/rc), not only the big one.
        var exited = r.System.Kernel.Exit.Stats.Events.Where(e => e.Step == ExitStep.Exit1).Select(e => e.Pid).ToHashSet();
        Assert.Equal(exited, all.Select(v => int.Parse(v.Context!.Split(' ')[3])).ToHashSet());
        var violations = all.Where(v => v.Context!.StartsWith($"exit1 of pid {r.Pid} ")).ToList();
        Assert.True(violations.Count >= Pages / 2, $"{violations.Count} frames caught of memtouch's {Pages}");
        Assert.All(violations, v =>
        {
            Assert.Equal($"exit1 of pid {r.Pid} (memtouch) on cpu{exit1.Cpu}, exit path purge-broken", v.Context);
            Assert.Equal(exit1.Cpu, v.Cpu);
            Assert.False(v.Global);
        });
        Assert.Single(violations.Select(v => v.Asid).Distinct());                       // the exiting process's ASID
        Assert.Equal(violations.Count, violations.Select(v => v.Frame).Distinct().Count()); // one report a frame
        Assert.Contains($"[exit1 of pid {r.Pid} (memtouch) on cpu{exit1.Cpu}", violations[0].ToString());
        Assert.Contains($"cpu{exit1.Cpu} ASID 0x{violations[0].Asid:X}", violations[0].ToString());
        Assert.Contains($"frame 0x{violations[0].Frame:X}", violations[0].ToString());
        // Wrong, but it leaks nothing: the frames and the ASID come back all the same.
        Assert.True(r.System.Kernel.Halted);
        Assert.All(r.System.Kernel.LeakedFrames(), kv => Assert.Equal(0, kv.Value));
        Assert.Equal(0, r.System.Kernel.LeakedAsids);
    }
}
