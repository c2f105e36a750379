using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Tests.Kernel;

/// <summary>fork1: returns twice, copies the frames and the address space copy-on-write; EAGAIN at maxprocess.</summary>
public sealed class KernForkTests
{
    /// <summary>A program whose state lives in its frame's locals and in its (emulated) memory, as a process's does.</summary>
    private sealed class ForkProgram(KernExitWaitTests.World w, KernFork fork, List<string> log, ulong va)
    {
        public IEnumerator<Op> Main(Proc p)
        {
            var cpu = w.U.Cpu(p.Cpu);
            w.U.Write(cpu, p.Process!.Vmspace!, va, 1);
            int local = 41;
            yield return Op.Call(fork.Fork1(p));
            long pid = p.Retval;
            local++;                                                     // each side has its own copy of the local
            cpu = w.U.Cpu(p.Cpu);
            var vm = p.Process!.Vmspace!;
            if (pid == 0)
            {
                w.U.Write(cpu, vm, va, 2);                               // copy-on-write: the parent keeps its 1
                log.Add($"child {p.Process.Pid} local={local} sees {w.U.Read(cpu, vm, va)}");
                yield return Op.Call(w.Exit.Exit1(p, 7, 0));
            }
            var result = new WaitResult();
            yield return Op.Call(w.Exit.Dowait6(p.Process, (int)pid, 0, result));
            log.Add($"parent reaped {p.Retval} status {Wait.Describe(result.Status)} local={local} sees {w.U.Read(w.U.Cpu(p.Cpu), vm, va)}");
            yield return Op.Call(w.Exit.Exit1(p, 0, 0));
        }
    }

    [Fact]
    public void Fork_returns_twice_with_copied_locals_and_copy_on_write_memory()
    {
        var w = new KernExitWaitTests.World();
        w.Exit.StartReaper();
        var fork = new KernFork(w.Procs, w.U.Uvm, w.S);
        var log = new List<string>();
        Assert.Equal(Errno.None, w.Procs.ProcessNew(w.Init, "prog", out var pr));
        pr!.Vmspace = w.U.NewSpace();
        pr.Fd = new FileDesc();
        ulong va = w.U.Mmap(pr.Vmspace, 4096);
        var program = new ForkProgram(w, fork, log, va);
        Proc? p = null;
        IEnumerator<Op> Entry() { yield return Op.Call(program.Main(p!)); }
        p = w.S.Spawn("prog", Entry(), 0);
        p.Process = pr;
        pr.MainThread = p;
        var initWait = new WaitResult();
        IEnumerator<Op> Init() { yield return Op.Call(w.Exit.Dowait6(w.Init, pr.Pid, 0, initWait)); }
        w.S.Spawn("init", Init(), 1).Process = w.Init;

        w.S.Run();

        Assert.Equal(2, log.Count);
        Assert.Matches(@"^child \d+ local=42 sees 2$", log[0]);
        string childPid = log[0].Split(' ')[1];
        Assert.Equal($"parent reaped {childPid} status exited 7 local=42 sees 1", log[1]);
        Assert.Equal("exited 0", Wait.Describe(initWait.Status));
        Assert.Equal(1, fork.Forks);
        Assert.Equal(1, w.Procs.Count);
        Assert.Equal(0, w.U.K.Pmaps.Asids.InUse);
        w.U.K.AssertCleanAndNoLeaks();
    }

    [Fact]
    public void Fork_past_maxprocess_is_EAGAIN_and_makes_nothing()
    {
        var w = new KernExitWaitTests.World();   // maxprocess 8
        var fork = new KernFork(w.Procs, w.U.Uvm, w.S);
        for (int i = 0; i < 6; i++) w.Child(w.Init);
        Assert.Equal(Errno.None, w.Procs.ProcessNew(w.Init, "last", out var last));
        long ret = 0;
        Proc? p = null;
        IEnumerator<Op> Body()
        {
            yield return Op.Call(fork.Fork1(p!));
            ret = p!.Retval;
        }
        p = w.S.Spawn("last", Body(), 0);
        p.Process = last;
        w.S.Run();
        Assert.Equal(-(long)Errno.EAGAIN, ret);
        Assert.Equal(8, w.Procs.Count);
        Assert.Equal(0, fork.Forks);
        w.U.K.AssertCleanAndNoLeaks();
    }
}
