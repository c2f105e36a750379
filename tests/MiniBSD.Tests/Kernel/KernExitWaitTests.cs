using MiniBSD.Hal;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Tests.Kernel;

/// <summary>The process lists and wait4 (dowait6): statuses, pid selection, WNOHANG, ECHILD, PS_NOZOMBIE, sleeping.</summary>
public abstract class KernExitWaitTests(Arch arch)
{
    internal sealed class World
    {
        public readonly UvmFixture U;
        public readonly Sched S;
        public readonly KernProc Procs;
        public readonly KernExit Exit;
        public readonly Process Init;

        public World(int seed = 5, SchedParams? sched = null, int maxProcesses = 8, Arch arch = Arch.Arm64)
        {
            U = new UvmFixture(cpus: 2, arch: arch);
            Procs = new KernProc(new Random(seed), maxProcesses);
            S = new Sched(M, sched ?? new SchedParams(ContextSwitchCycles: 0));
            Exit = new KernExit(Procs, U.Uvm, S, new MpLock("kernel_lock"));
            // cpu_switchto's address-space switch: the incoming thread's, or the kernel's for a kernel thread.
            S.SwitchHook = (cpu, _, next) => U.Pmaps.PmapSwitch(cpu, next.Process?.Vmspace?.Pmap ?? U.Pmaps.Kernel);
            S.IdleHook = U.Pmaps.PmapSwitchIdle;
            Assert.Equal(Errno.None, Procs.ProcessNew(null, "init", out var init));
            Init = init!;
        }

        public Machine M => U.Machine;

        public Process Child(Process parent, string name = "child")
        {
            Assert.Equal(Errno.None, Procs.ProcessNew(parent, name, out var pr));
            return pr!;
        }

        /// <summary>What exit1 and the reaper leave behind for a wait: a zombie with its status (or no zombie).</summary>
        public void Die(Process pr, int xexit, int xsig = 0)
        {
            (pr.XExit, pr.XSig) = (xexit, xsig);
            Procs.MakeZombie(pr);
            if (!pr.Is(ProcessFlags.NoZombie)) pr.Flags |= ProcessFlags.Zombie;
            else Procs.ProcessZap(pr);
        }

        /// <summary>Starts wait4 in a thread of <paramref name="parent"/> on <paramref name="cpu"/>; the function reads its result after the run.</summary>
        public Func<(long Ret, WaitResult Result)> Wait4(Process parent, int pid, int options = 0, int cpu = 0)
        {
            var result = new WaitResult();
            long ret = long.MinValue;
            Proc? p = null;
            IEnumerator<Op> Body()
            {
                yield return Op.Call(Exit.Dowait6(parent, pid, options, result));
                ret = p!.Retval;
            }
            p = S.Spawn("wait4", Body(), cpu);
            p.Process = parent;
            return () => (ret, result);
        }

        /// <summary>The thread of <paramref name="pr"/>, on <paramref name="cpu"/>, running <paramref name="body"/> (which gets the thread).</summary>
        public Proc StartThread(Process pr, int cpu, Func<Proc, IEnumerator<Op>> body)
        {
            Proc? p = null;
            IEnumerator<Op> Entry() { yield return Op.Call(body(p!)); }
            p = S.Spawn(pr.Command, Entry(), cpu);
            p.Process = pr;
            pr.MainThread = p;
            return p;
        }

        public (long Ret, WaitResult Result) Wait4Now(Process parent, int pid, int options = 0)
        {
            var r = Wait4(parent, pid, options);
            S.Run();
            return r();
        }
    }

    [Fact]
    public void Init_is_pid_1_and_children_get_distinct_pids_with_their_parents_group()
    {
        var w = new World(arch: arch);
        Assert.Equal(1, w.Init.Pid);
        Assert.Same(w.Init, w.Procs.Init);
        var sh = w.Child(w.Init, "sh");
        var a = w.Child(sh, "a");
        Assert.NotEqual(sh.Pid, a.Pid);
        Assert.InRange(a.Pid, 2, PidAllocator.PID_MAX);
        Assert.Equal([a], sh.Children);
        Assert.Same(sh, a.Parent);
        Assert.Equal(1, a.Pgid);
        Assert.Same(a, w.Procs.Prfind(a.Pid));
        Assert.Null(w.Procs.Zombiefind(a.Pid));
    }

    [Fact]
    public void Fork_past_maxprocess_is_EAGAIN_and_zombies_count()
    {
        var w = new World(arch: arch);   // maxprocess 8: init and seven more
        var children = Enumerable.Range(0, 7).Select(_ => w.Child(w.Init)).ToList();
        Assert.Equal(Errno.EAGAIN, w.Procs.ProcessNew(w.Init, "one-too-many", out var none));
        Assert.Null(none);
        w.Die(children[0], 0);
        Assert.Equal(Errno.EAGAIN, w.Procs.ProcessNew(w.Init, "still-too-many", out _));  // a zombie still holds its slot
        Assert.Equal(children[0].Pid, w.Wait4Now(w.Init, -1).Ret);
        Assert.Equal(Errno.None, w.Procs.ProcessNew(w.Init, "fits-now", out _));
    }

    [Fact]
    public void Wait_reaps_a_zombie_with_its_exit_status_and_frees_its_pid()
    {
        var w = new World(arch: arch);
        var child = w.Child(w.Init);
        child.RunCycles = 1234;
        w.Die(child, 3);
        Assert.Same(child, w.Procs.Zombiefind(child.Pid));
        var (ret, result) = w.Wait4Now(w.Init, -1);
        Assert.Equal(child.Pid, ret);
        Assert.Equal(0x0300, result.Status);
        Assert.True(Wait.IfExited(result.Status) && Wait.ExitStatus(result.Status) == 3);
        Assert.Equal(1234, result.ChildRunCycles);
        Assert.Equal(1234, w.Init.ChildRunCycles);
        Assert.Null(w.Procs.Zombiefind(child.Pid));
        Assert.Empty(w.Init.Children);
        Assert.True(w.Procs.Pids.IsPidTaken(child.Pid));                   // freepid: held back from reuse for a while
        Assert.Equal(-(long)Errno.ECHILD, w.Wait4Now(w.Init, -1).Ret);     // nothing left to wait for
    }

    [Fact]
    public void A_signaled_child_reports_its_signal()
    {
        var w = new World(arch: arch);
        var child = w.Child(w.Init);
        w.Die(child, 0, (int)Signal.SIGSEGV);
        var (_, result) = w.Wait4Now(w.Init, child.Pid);
        Assert.True(Wait.IfSignaled(result.Status));
        Assert.Equal(Signal.SIGSEGV, Wait.TermSig(result.Status));
    }

    [Fact]
    public void Pid_selection_WNOHANG_and_bad_options()
    {
        var w = new World(arch: arch);
        var a = w.Child(w.Init);
        var b = w.Child(w.Init);
        w.Die(b, 7);
        Assert.Equal(0L, w.Wait4Now(w.Init, a.Pid, Wait.WNOHANG).Ret);             // a still runs
        Assert.Equal(-(long)Errno.ECHILD, w.Wait4Now(w.Init, 999_990, Wait.WNOHANG).Ret);
        Assert.Equal(-(long)Errno.ECHILD, w.Wait4Now(a, -1).Ret);                  // a has no children
        Assert.Equal(-(long)Errno.ECHILD, w.Wait4Now(w.Init, -42).Ret);            // nobody is in group 42
        Assert.Equal(-(long)Errno.EINVAL, w.Wait4Now(w.Init, -1, 0x10).Ret);
        Assert.Equal(b.Pid, w.Wait4Now(w.Init, 0).Ret);                            // my group: b is a zombie
        Assert.Equal(0L, w.Wait4Now(w.Init, -1, Wait.WNOHANG).Ret);
    }

    [Fact]
    public void Children_that_leave_no_zombie_do_not_count_so_wait_says_ECHILD()
    {
        var w = new World(arch: arch);
        var child = w.Child(w.Init);
        child.Flags |= ProcessFlags.NoZombie;                // exit1 sets it when the parent has SAS_NOCLDWAIT
        w.Die(child, 0);
        Assert.Equal(-(long)Errno.ECHILD, w.Wait4Now(w.Init, -1).Ret);
        Assert.True(w.Procs.Pids.IsPidTaken(child.Pid));              // freed at exit (freepid), and held back
        Assert.Equal(1, w.Procs.Count);
    }

    [Fact]
    public void A_waiting_parent_sleeps_until_a_child_exits_and_wakes_it()
    {
        var w = new World(arch: arch);
        var child = w.Child(w.Init);
        var waited = w.Wait4(w.Init, -1, cpu: 0);
        IEnumerator<Op> Exiter()
        {
            yield return Op.Work(50_000);
            w.Die(child, 9);
            yield return Op.Wakeup(w.Init);                   // exit1 / the reaper: wakeup(pr->ps_pptr)
        }
        w.S.Spawn("child", Exiter(), 1);
        w.S.Run();
        var (ret, result) = waited();
        Assert.Equal(child.Pid, ret);
        Assert.Equal(9, Wait.ExitStatus(result.Status));
        Assert.InRange(w.M.Cpus[0].Clock, 50_000, 51_000);   // slept until the wakeup (plus TTBR0 switches)
    }

    [Fact]
    public void Orphans_are_reparented_to_init()
    {
        var w = new World(arch: arch);
        var sh = w.Child(w.Init, "sh");
        var orphan = w.Child(sh, "bg");
        KernProc.ProcReparent(orphan, w.Init);
        Assert.Same(w.Init, orphan.Parent);
        Assert.Empty(sh.Children);
        Assert.Equal([sh, orphan], w.Init.Children);
        w.Die(orphan, 0);
        Assert.Equal(orphan.Pid, w.Wait4Now(w.Init, orphan.Pid).Ret);
    }
}

public sealed class KernExitWaitTestsArm64() : KernExitWaitTests(Arch.Arm64);

public sealed class KernExitWaitTestsAmd64() : KernExitWaitTests(Arch.Amd64);
