using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Benchmarks;

/// <summary>
/// The forkexit loop in the kernel: a process that, each time it is kicked, forks; the child write-faults
/// <c>pages</c> pages its parent had touched (copy-on-write copies) and calls exit1; the parent waits for it. Init and
/// the reaper run on cpu1, the loop on cpu0, so the simulated SMP, the reaper and the locks all take part.
/// </summary>
internal sealed class ForkExitWorld
{
    private readonly object _kick = new();
    private readonly UvmWorld _w;
    private readonly Process _loop;
    private readonly ulong _va;
    private readonly int _pages;

    public ForkExitWorld(int pages, Hal.Arch arch = Hal.Arch.Arm64)
    {
        _w = new UvmWorld(cpus: 2, arch);
        _pages = pages;
        _w.Machine.Checker.Enabled = false;
        Sched = new Sched(_w.Machine);
        Procs = new KernProc(new Random(1), maxProcesses: 1000);
        Exit = new KernExit(Procs, _w.Uvm, Sched, new MpLock("kernel_lock"));
        Fork = new KernFork(Procs, _w.Uvm, Sched);
        Sched.SwitchHook = (cpu, _, next) => _w.Pmaps.PmapSwitch(cpu, next.Process?.Vmspace?.Pmap ?? _w.Pmaps.Kernel);
        Sched.IdleHook = _w.Pmaps.PmapSwitchIdle;
        Procs.ProcessNew(null, "init", out var init);
        Procs.ProcessNew(init, "forkexit", out var loop);
        _loop = loop!;
        _loop.Vmspace = _w.Uvm.UvmspaceAlloc(_w.Cpu)!;
        _loop.Fd = new FileDesc();
        _w.Pmaps.PmapActivate(_w.Cpu, _loop.Vmspace.Pmap, curproc: false);
        _va = _w.MapFresh(_loop.Vmspace, pages);
        _w.Touch(_loop.Vmspace, _va, pages);
        Exit.StartReaper(cpu: 1);
        Proc? p = null;
        IEnumerator<Op> Entry() { yield return Op.Call(Loop(p!)); }
        p = Sched.Spawn("forkexit", Entry(), 0);
        p.Process = _loop;
        Sched.Run();   // the loop now sleeps, waiting for the first kick
    }

    public Sched Sched { get; }
    public KernProc Procs { get; }
    public KernExit Exit { get; }
    public KernFork Fork { get; }
    public Hal.Machine Machine => _w.Machine;

    /// <summary>One fork + child touches + exit + wait, run to completion on the simulated machine.</summary>
    public void Cycle()
    {
        Sched.Wakeup(_kick, _w.Machine.Cpus[0].Clock);
        Sched.Run();
    }

    private IEnumerator<Op> Loop(Proc p)
    {
        var result = new WaitResult();
        while (true)
        {
            yield return Op.Sleep(_kick);
            yield return Op.Call(Fork.Fork1(p));
            if (p.Retval < 0) throw new InvalidOperationException($"fork: {(Errno)(-p.Retval)}");
            if (p.Retval == 0)
            {
                var map = p.Process!.Vmspace!.Map;
                var cpu = _w.Machine.Cpus[p.Cpu];
                for (int i = 0; i < _pages; i++)
                    if (_w.Uvm.UvmFault(cpu, map, _va + (ulong)i * 4096, VmProt.Write) != FaultResult.Resolved)
                        throw new InvalidOperationException("child: fault failed");
                yield return Op.Call(Exit.Exit1(p, 0, 0));
            }
            yield return Op.Call(Exit.Dowait6(p.Process!, -1, 0, result));
        }
    }
}
