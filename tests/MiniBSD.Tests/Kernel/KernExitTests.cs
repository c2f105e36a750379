using MiniBSD.Hal;
using MiniBSD.Hal.Tlb;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Tests.Kernel;

/// <summary>exit1 with uvm_purge, exit2, the reaper and wait4 together, on two CPUs.</summary>
public abstract class KernExitTests(Arch arch)
{
    private const int Pages = 32;

    /// <summary>A user process with <paramref name="pages"/> touched pages, its thread spawned on <paramref name="cpu"/> running <paramref name="body"/>.</summary>
    private static Process UserProcess(KernExitWaitTests.World w, Process parent, int cpu, Func<Proc, IEnumerator<Op>> body, int pages = Pages)
    {
        var pr = w.Child(parent, "user");
        var c = w.U.Cpu(cpu);
        var vm = w.U.NewSpace();                                           // pm_active 1: the thread to come
        ulong va = w.U.Mmap(vm, (ulong)pages * 4096);
        for (int i = 0; i < pages; i++) w.U.Write(c, vm, va + (ulong)i * 4096, (ulong)i);
        w.U.Pmaps.PmapSwitch(c, w.U.Pmaps.Kernel);                    // off the CPU until its thread runs
        pr.Vmspace = vm;
        pr.Fd = new FileDesc();
        w.StartThread(pr, cpu, body);
        return pr;
    }

    [Fact]
    public void An_exiting_process_purges_its_own_space_and_its_parent_reaps_the_status()
    {
        var w = new KernExitWaitTests.World(arch: arch);
        w.Exit.StartReaper(cpu: 0);
        var pipes = new PipeFileOps(512);
        var (readEnd, writeEnd) = pipes.Create();
        IEnumerator<Op> Body(Proc p)
        {
            yield return Op.Lock(w.Exit.KernelLock);                    // sys_exit entered with the lock held twice
            yield return Op.Lock(w.Exit.KernelLock);
            yield return Op.Work(1000);
            yield return Op.Call(w.Exit.Exit1(p, 3, 0));
        }
        var child = UserProcess(w, w.Init, cpu: 1, Body);
        child.Fd!.Install(writeEnd, out _);
        var pmap = child.Vmspace!.Pmap;
        var before = w.M.TotalCounters();
        var waited = w.Wait4(w.Init, -1);

        w.S.Run();

        var (ret, result) = waited();
        Assert.Equal(child.Pid, ret);
        Assert.Equal(Wait.ExitCode(3, 0), result.Status);
        Assert.True(result.ChildRunCycles >= 1000);
        var after = w.M.TotalCounters();
        if (arch == Arch.Arm64)
        {
            Assert.Equal(0, after.Tlbi(TlbiOp.Vae1Is) - before.Tlbi(TlbiOp.Vae1Is));   // no per-page invalidation at all
            Assert.Equal(2, after.Tlbi(TlbiOp.Aside1Is) - before.Tlbi(TlbiOp.Aside1Is)); // pmap_purge's, and the ASID's free
        }
        else
        {
            Assert.Equal(0, after.IpisSent - before.IpisSent);                        // no other CPU runs the pmap
            Assert.Equal(Pages, after.X86Invalidations(X86Flush.InvpcidAddress) - before.X86Invalidations(X86Flush.InvpcidAddress)); // 32 pages: a range, one INVPCID a page
            Assert.Equal(0, after.TlbiTotal - before.TlbiTotal);
        }
        Assert.True(pmap.Destroyed);
        Assert.Null(child.Vmspace);
        Assert.Null(child.Fd);
        Assert.True(((Pipe)readEnd.Data).WriterClosed);                 // fdfree closed the last write descriptor
        Assert.Null(w.Exit.KernelLock.Owner);
        Assert.Equal(0, w.Exit.DeadCount);
        Assert.Equal(0u, w.Init.SigList);                               // SIGCHLD is ignored by default: dropped
        Assert.Equal(1, w.Procs.Count);
        Assert.Equal(0, w.U.Pmaps.TagsInUse);
        w.U.AssertClean();
    }

    [Fact]
    public void Uvm_purge_runs_without_the_kernel_lock_so_another_cpu_takes_it_meanwhile()
    {
        var w = new KernExitWaitTests.World(arch: arch);
        w.Exit.StartReaper(cpu: 1);
        IEnumerator<Op> Body(Proc p)
        {
            yield return Op.Lock(w.Exit.KernelLock);
            yield return Op.Lock(w.Exit.KernelLock);
            yield return Op.Work(1000);
            yield return Op.Call(w.Exit.Exit1(p, 0, 0));
        }
        UserProcess(w, w.Init, cpu: 1, Body, pages: arch == Arch.Arm64 ? 256 : 1024);   // amd64 tears down faster (2 MiB blocks, one flush)
        long acquiredAt = -1;
        long cpu0Start = w.M.Cpus[0].Clock, cpu1Start = w.M.Cpus[1].Clock;   // the set-up ran on them already
        long delay = cpu1Start + 5_000 - cpu0Start;                           // line cpu0 up with cpu1's clock
        Assert.True(delay > 0);
        Proc? other = null;
        IEnumerator<Op> Other()
        {
            yield return Op.Work(delay);                                 // cpu1 time 5,000: inside uvm_purge
            yield return Op.Lock(w.Exit.KernelLock);
            acquiredAt = w.M.Cpus[0].Clock;
            yield return Op.Unlock(w.Exit.KernelLock);
        }
        other = w.S.Spawn("other", Other(), 0);
        w.Wait4(w.Init, -1, cpu: 0);
        w.S.Run();
        Assert.InRange(acquiredAt - cpu1Start, 5_000, 8_000);            // no waiting for the teardown
        Assert.Equal(0, other.LockWaitCycles);
        Assert.True(w.M.Cpus[1].Clock - cpu1Start > 10_000);             // cpu1 was still tearing down then
        w.U.AssertClean();
    }

    [Fact]
    public void A_parent_catching_SIGCHLD_has_it_posted_when_the_child_becomes_a_zombie()
    {
        var w = new KernExitWaitTests.World(arch: arch);
        w.Exit.StartReaper();
        w.Init.SigActs.Sigaction((int)Signal.SIGCHLD, new SigAction(0x40_0000), out _, isInit: true);
        var child = UserProcess(w, w.Init, cpu: 1, p => w.Exit.Exit1(p, 0, (int)Signal.SIGTERM));
        w.S.Run();
        Assert.True(child.Is(ProcessFlags.Zombie));
        Assert.Same(child, w.Procs.Zombiefind(child.Pid));
        Assert.Equal(SigSet.Mask(Signal.SIGCHLD), w.Init.SigList);
        var waited = w.Wait4(w.Init, child.Pid);
        w.S.Run();
        Assert.Equal(Signal.SIGTERM, Wait.TermSig(waited().Result.Status));
        w.U.AssertClean();
    }

    [Fact]
    public void With_SIGCHLD_ignored_a_child_leaves_no_zombie_and_a_waiting_parent_gets_ECHILD_once_it_is_gone()
    {
        var w = new KernExitWaitTests.World(arch: arch);
        w.Exit.StartReaper();
        Assert.Equal(Errno.None, w.Procs.ProcessNew(w.Init, "sh", out var sh));
        sh!.SigActs.Sigaction((int)Signal.SIGCHLD, SigAction.Ignore, out _);
        IEnumerator<Op> Body(Proc p)
        {
            yield return Op.Work(20_000);
            yield return Op.Call(w.Exit.Exit1(p, 0, 0));
        }
        var child = UserProcess(w, sh, cpu: 1, Body);
        var waited = w.Wait4(sh, -1, cpu: 0);                         // blocks: the child still runs
        w.S.Run();
        Assert.Equal(-(long)Errno.ECHILD, waited().Ret);
        Assert.InRange(w.M.Cpus[0].Clock, 20_000, long.MaxValue);        // it waited for the exit
        Assert.Null(w.Procs.Zombiefind(child.Pid));
        Assert.Null(w.Procs.Prfind(child.Pid));
        Assert.Empty(sh.Children);
        Assert.DoesNotContain(child, w.Init.Children);                  // process_zap unlinked it from init
        w.U.AssertClean();
    }

    [Fact]
    public void Children_of_an_exiting_process_go_to_init_which_reaps_them()
    {
        var w = new KernExitWaitTests.World(arch: arch);
        w.Exit.StartReaper();
        IEnumerator<Op> Late(Proc p)
        {
            yield return Op.Work(100_000);
            yield return Op.Call(w.Exit.Exit1(p, 5, 0));
        }
        var shp = UserProcess(w, w.Init, cpu: 0, p => w.Exit.Exit1(p, 0, 0));   // exits at once
        var orphan = UserProcess(w, shp, cpu: 1, Late);                         // outlives it
        var first = w.Wait4(w.Init, shp.Pid);
        w.S.Run();
        Assert.Equal(shp.Pid, first().Ret);
        Assert.Same(w.Init, orphan.Parent);
        var second = w.Wait4(w.Init, orphan.Pid);
        w.S.Run();
        Assert.Equal(5, Wait.ExitStatus(second().Result.Status));
        w.U.AssertClean();
    }

    [Fact]
    public void Init_exiting_is_a_panic()
    {
        var w = new KernExitWaitTests.World(arch: arch);
        var p = w.S.Spawn("init", Enumerable.Empty<Op>().GetEnumerator(), 0);
        p.Process = w.Init;
        var frame = w.Exit.Exit1(p, 1, 0);
        Assert.Contains("init died", Assert.Throws<KernelPanicException>(() => frame.MoveNext()).Message);
    }
}

public sealed class KernExitTestsArm64() : KernExitTests(Arch.Arm64);

public sealed class KernExitTestsAmd64() : KernExitTests(Arch.Amd64);
