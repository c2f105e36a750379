using MiniBSD.Hal;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Dev;
using MiniBSD.Kernel.Uvm;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Kern;

/// <summary>What the kernel is built with: the seed (pids, time-slice jitter), kern.maxproc, scheduler costs, init.</summary>
/// <param name="ExitPath">Where and in what order exiting processes' address spaces are torn down (issue #5).</param>
/// <param name="PerCpuPageCache">The per-CPU page magazines in front of pmemrange (OpenBSD since 2024); false: the kernel before them.</param>
/// <param name="FreeCosts">What the free path costs (null: <see cref="PmrCosts"/>'s defaults; <see cref="PmrCosts.Free"/> ablates it).</param>
/// <param name="AsidPair">arm64's kernel/user ASID pairs, as OpenBSD (false: one ASID a pmap).</param>
public sealed record KernelOptions(int Seed = 0, int MaxProcesses = 1000, SchedParams? Sched = null, string InitPath = "/sbin/init",
    ExitPath ExitPath = ExitPath.Purge, bool PerCpuPageCache = true, PmrCosts? FreeCosts = null, bool AsidPair = true)
{
    /// <summary>Seed 0 runs without jitter; any other seed jitters slices and context switches, so each seed gives
    /// its own (reproducible) interleaving.</summary>
    public SchedParams SchedParams => Sched ?? new SchedParams(Seed: Seed, JitterCycles: Seed == 0 ? 0 : 250_000, SwitchJitterCycles: Seed == 0 ? 0 : 400);
}

/// <summary>How <see cref="InitMain.Run"/> ended.</summary>
public enum RunEnd
{
    /// <summary>init called reboot(2).</summary>
    Halted,
    /// <summary>Nothing can run and init has not halted: every process sleeps with nothing to wake it.</summary>
    Stalled,
    /// <summary>The simulated-time limit came first.</summary>
    TimeLimit,
    /// <summary>The caller's stop condition (a host guard) ended it.</summary>
    Stopped,
}

/// <summary>
/// init_main.c's main(): the kernel as one value. Building it runs locore (MMU on every CPU) and makes each
/// subsystem (page allocator, pmap, uvm, scheduler, process table, exit/fork/exec, the system call table and the
/// devices); <see cref="Start"/> starts the reaper and process 1, which execs /sbin/init (start_init). Two kernels can
/// live side by side in one test: nothing is static.
/// </summary>
public sealed class InitMain
{
    private readonly object _halt = new();
    private readonly Dictionary<PageUse, long> _baseline;

    public InitMain(Machine machine, ProgramRegistry programs, KernelOptions? options = null, Dmesg? dmesg = null)
    {
        Options = options ?? new KernelOptions();
        Dmesg = dmesg ?? new Dmesg(null, machine.Costs.FrequencyHz);
        Machine = machine;
        Programs = programs;
        Machdep = Conf.Machdep.Attach(machine);   // locore: the MMU on every CPU
        Pages = new UvmPage(machine, Machdep.FirstFree);
        Pmaps = Machdep.PmapInit(Pages);
        if (Pmaps is IAsidPairs pairs) pairs.AsidPair = Options.AsidPair;
        Uvm = new Uvm.Uvm(machine, Pages, Pmaps, Machdep.UserAccess);
        Sched = new Sched(machine, Options.SchedParams);
        Pages.PerCpuCache = Options.PerCpuPageCache;
        if (Options.FreeCosts is { } freeCosts) Pages.Costs = freeCosts;
        Pages.FpageqLock.Clock = Sched.StatClock;
        Procs = new KernProc(new Random(Options.Seed), Options.MaxProcesses);
        Exit = new KernExit(Procs, Uvm, Sched, new MpLock("kernel_lock")) { Path = Options.ExitPath };
        Fork = new KernFork(Procs, Uvm, Sched);
        Exec = new KernExec(Uvm, programs, Exit);
        Cons = new Cons(machine);
        var copy = machine.Costs.FrameCopy;
        var syscall = Machdep.UserMode(Uvm, Sysent, Exit, Sched.Params.SyscallDispatchCycles);
        Syscalls = syscall;
        Exec.UserMode = syscall;
        Exit.Register(Sysent);
        Fork.Register(Sysent);
        Exec.Register(Sysent);
        new FileSyscalls(Uvm, Sched, Cons, new DevNull(), new PipeFileOps(copy), new VfsFileOps(copy), programs).Register(Sysent);
        new ProcSyscalls(Uvm, Sched, Procs).Register(Sysent);
        new KernSysctl(Uvm, Procs).Register(Sysent);
        Sysent.Add(SysCall.Reboot, SysReboot);
        // cpu_switchto's address-space switch: the incoming thread's pmap, or the kernel's for a kernel thread.
        Sched.SwitchHook = (cpu, _, next) => Pmaps.PmapSwitch(cpu, next.Process?.Vmspace?.Pmap ?? Pmaps.Kernel);
        Sched.IdleHook = Pmaps.PmapSwitchIdle;
        Exec.Dmesg = Exit.Dmesg = Dmesg;
        _baseline = Enum.GetValues<PageUse>().ToDictionary(u => u, u => Pages.Count(u));
        FailPoints = new FailPoints(Options.Seed);   // armed by the caller after boot: boot itself never fails
        Pages.FailPoints = Procs.FailPoints = FailPoints;
        if (Pmaps is IFailable failable) failable.FailPoints = FailPoints;
        if (Pmaps is IInterruptAccounted handlers) handlers.Interrupts = Sched.StatClock;
        FailPoints.Exempt = () => Sched.Running?.Process?.Pid == 1;
        var cpu0 = machine.Cpu(0);
        Dmesg.Printf(cpu0, $"MiniBSD/{machine.Config.Arch.Name()}: {machine.Cpus.Count} CPUs, {machine.Memory.Size >> 20} MiB RAM at 0x{machine.Memory.Base:X}");
        foreach (string line in Machdep.BootMessages()) Dmesg.Printf(cpu0, line);
        Dmesg.Printf(cpu0, $"uvm: {Pages.TotalPages} pages managed; per-CPU page caches {(Pages.PerCpuCache ? "on" : "off")}; pmap_purge {(Pmaps.HavePmapPurge ? "yes" : "no")} (__HAVE_PMAP_PURGE){(Pmaps is IAsidPairs { AsidPair: true } ? "; kernel/user ASID pairs" : "")}");
        Dmesg.Printf(cpu0, $"sysent: {Sysent.Implemented.Count()} system calls; {Options.MaxProcesses} processes at most; seed {Options.Seed}; exit path {Options.ExitPath.Name()}");
        if (!Pmaps.HavePmapPurge && Options.ExitPath == ExitPath.PurgeUnordered)
            Dmesg.Printf(cpu0, "exit path purge-unordered is the same as purge here: this pmap has no pmap_purge to leave out");
    }

    /// <summary>Fault injection at the kernel's allocation sites (nothing armed unless the caller arms it).</summary>
    public FailPoints FailPoints { get; }

    /// <summary>The kernel message buffer.</summary>
    public Dmesg Dmesg { get; }

    public KernelOptions Options { get; }
    public Machine Machine { get; }
    public ProgramRegistry Programs { get; }
    /// <summary>The machine-dependent layer (arm64 or amd64) locore started.</summary>
    internal IMachdep Machdep { get; }
    public UvmPage Pages { get; }
    public IPmap Pmaps { get; }
    public Uvm.Uvm Uvm { get; }
    public Sched Sched { get; }
    public KernProc Procs { get; }
    public KernExit Exit { get; }
    public KernFork Fork { get; }
    public KernExec Exec { get; }
    public Cons Cons { get; }
    public Sysent Sysent { get; } = new();
    internal UserMode Syscalls { get; }

    /// <summary>Process 1, once started.</summary>
    public Process? Init { get; private set; }

    /// <summary>init called reboot(2): the run is over; <see cref="HaltStatus"/> is what init passed (/etc/rc's status).</summary>
    public bool Halted { get; private set; }
    public int HaltStatus { get; private set; }

    /// <summary>System calls made, and those of unknown numbers (answered with SIGSYS/ENOSYS).</summary>
    public long SyscallCount => Syscalls.Calls;

    /// <summary>How many system calls returned each errno (0: success), by errno.</summary>
    public ReadOnlySpan<long> SyscallResults => Syscalls.Results;

    /// <summary>
    /// Starts the reaper and process 1 (start_init): a thread of a process with no address space yet, which execs
    /// <paramref name="argv"/>[0] (default: the options' init path) from the kernel, as start_init does.
    /// </summary>
    public Process Start(params string[] argv)
    {
        Kassert(Init is null, "main: init already started");
        if (argv.Length == 0) argv = [Options.InitPath];
        Exit.StartReaper(cpu: 0);
        Kassert(Procs.ProcessNew(null, "init", out var init) == Errno.None && init!.Pid == 1, "main: cannot make process 1");
        init!.Fd = new FileDesc();
        Proc? p = null;
        var thread = Sched.Spawn("init", StartInit(() => p!, argv), cpu: 0);
        p = thread;
        thread.Process = init;
        init.MainThread = thread;
        return Init = init;
    }

    private IEnumerator<Op> StartInit(Func<Proc> self, string[] argv)
    {
        var p = self();
        yield return Op.Call(Exec.Execve(p, argv[0], argv, []));
        Kassert(p.Retval == 0, "start_init: cannot exec {0}: {1}", argv[0], (Errno)(-p.Retval));
        yield return Op.Return(0);
    }

    /// <summary>
    /// Runs the machine until nothing can run (after a halt, every thread sleeps), every CPU reaches
    /// <paramref name="until"/>, or <paramref name="stop"/> says so (asked now and then: a guard of the host's, such as
    /// its memory); how the run ended.
    /// </summary>
    public RunEnd Run(long until = long.MaxValue, Func<bool>? stop = null)
    {
        var end = Sched.Run(until, stop);
        return Halted ? RunEnd.Halted : end;
    }

    /// <summary>
    /// sys_reboot(howto, status): init only (EPERM otherwise). MiniBSD's halt: init's descriptors are closed and
    /// its address space torn down as exit1 would (so a leak check can expect every frame free), the program cache
    /// is dropped, and init sleeps for good. The second argument, /etc/rc's exit status, is MiniBSD's addition so
    /// that `minibsd run` can exit with it.
    /// </summary>
    private IEnumerator<Op> SysReboot(Proc p, SyscallArgs a)
    {
        var pr = p.Process!;
        if (pr.Pid != 1)
        {
            yield return Op.Return(-(long)Errno.EPERM);
            yield break;
        }
        (Halted, HaltStatus) = (true, (int)a.A1);
        Dmesg.Printf(Machine.Cpu(p.Cpu), $"init: halting (/etc/rc exited {HaltStatus})");
        if (pr.Fd is { } fd)
        {
            pr.Fd = null;
            yield return Op.Call(fd.FdFree());
        }
        var cpu = Machine.Cpu(p.Cpu);
        var vm = pr.Vmspace!;
        Uvm.UvmPurge(cpu, vm);
        Pmaps.PmapDeactivate(cpu, vm.Pmap);         // as exit1 does (a no-op after pmap_purge)
        Pmaps.PmapSwitch(cpu, Pmaps.Kernel);        // and cpu_switchto: off the tables pmap_destroy frees
        pr.Vmspace = null;
        Uvm.UvmExit(cpu, vm);
        Exec.FlushCache(cpu);
        while (true) yield return Op.Sleep(_halt);
    }

    /// <summary>Frames allocated since the kernel was built, by use, that are still in use (all 0 after a clean halt).</summary>
    public IReadOnlyDictionary<PageUse, long> LeakedFrames() =>
        Enum.GetValues<PageUse>().Where(u => u != PageUse.Free).ToDictionary(u => u, u => Pages.Count(u) - _baseline[u]);

    /// <summary>User ASIDs (arm64) still allocated.</summary>
    public int LeakedAsids => Pmaps.TagsInUse;

    /// <summary>The boot-time MMU self-check of this machine's MD layer.</summary>
    public IReadOnlyList<SelfCheckStep> MmuSelfCheck() => Machdep.MmuSelfCheck(Pages);
}
