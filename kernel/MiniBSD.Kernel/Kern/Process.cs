using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Kernel.Kern;

/// <summary>ps_flags bits MiniBSD uses (OpenBSD sys/proc.h values).</summary>
[Flags]
public enum ProcessFlags
{
    None = 0,
    Exiting = 0x8,        // PS_EXITING: exit1 has begun
    PpWait = 0x40,        // PS_PPWAIT: a vfork parent waits for this child
    IsPWait = 0x80,       // PS_ISPWAIT: this process is the vfork parent waiting for a PS_PPWAIT child
    Traced = 0x200,       // PS_TRACED
    Waited = 0x400,       // PS_WAITED: a stop was reported to wait
    CoreDump = 0x800,     // PS_COREDUMP: killed by a signal that dumps core
    NoZombie = 0x4000,    // PS_NOZOMBIE: the parent asked for no zombies; init reaps it
    Stopped = 0x8000,     // PS_STOPPED
    System = 0x10000,     // PS_SYSTEM: a kernel process
    Embryo = 0x20000,     // PS_EMBRYO: fork has not finished making it
    Zombie = 0x40000,     // PS_ZOMBIE: dead, waiting for its parent's wait
}

/// <summary>
/// struct process (sys/proc.h): what the threads of a program share: pid, family, address space, descriptors,
/// signal actions, exit status. MiniBSD processes have one thread (<see cref="MainThread"/>), as OpenBSD processes
/// that never call __tfork. Locks: [K] kernel lock, [m] ps_mtx (both the kernel lock here).
/// </summary>
public sealed class Process(int pid, string command, SigActs sigacts)
{
    /// <summary>ps_pid.</summary>
    public int Pid { get; } = pid;

    /// <summary>ps_comm: the program's name, as ps shows it.</summary>
    public string Command { get; internal set; } = command;

    /// <summary>[K] ps_pptr: the parent, null only for the process that has none (swapper/init at boot).</summary>
    public Process? Parent { get; internal set; }

    /// <summary>[K] ps_children, oldest first (OpenBSD inserts at the head; the order only matters to which zombie a
    /// wait(-1) reaps first, and oldest-first is the order a reader expects).</summary>
    internal readonly List<Process> ChildList = [];
    public IReadOnlyList<Process> Children => ChildList;

    /// <summary>ps_pgrp's id: inherited at fork (MiniBSD has no setpgid/setsid yet, so every process is in init's).</summary>
    public int Pgid { get; internal set; } = pid;

    /// <summary>[K] ps_flags.</summary>
    public ProcessFlags Flags { get; internal set; }

    /// <summary>ps_xexit and ps_xsig: the exit code and terminating signal, set by exit1.</summary>
    public int XExit { get; internal set; }

    /// <summary>
    /// exit1's CPU and entry time (simulated cycles, for the exit latency), what tearing the address space down cost
    /// there and in the reaper, and when the end reached each later milestone.
    /// </summary>
    internal ExitTimes ExitCost { get; set; }
    public int XSig { get; internal set; }

    /// <summary>ps_vmspace: null for a kernel process, and after the reaper's uvm_exit.</summary>
    public Vmspace? Vmspace { get; internal set; }

    /// <summary>ps_fd: null once exit1's fdfree has run.</summary>
    public FileDesc? Fd { get; internal set; }

    /// <summary>ps_sigacts.</summary>
    public SigActs SigActs { get; } = sigacts;

    /// <summary>ps_siglist: signals posted to the process and not yet delivered (sigmask bits).</summary>
    public uint SigList { get; internal set; }

    /// <summary>ps_mainproc: the thread.</summary>
    public Proc? MainThread { get; internal set; }

    /// <summary>Simulated cycles its threads ran (tu_runtime), and those of children it waited for, for clock_gettime.</summary>
    public long RunCycles { get; internal set; }
    public long ChildRunCycles { get; internal set; }

    /// <summary>
    /// ps_tu: its exited threads' time (tuagg_add_process); <see cref="Ru"/>: what exit1's calcru handed the parent
    /// (ps_ru; ticks after it, in exit1's tail, reach ps_tu but not the parent); <see cref="Cru"/>: ps_cru, the sum of
    /// the children it waited for (make's covers sh's, which covers cc's: what time(1) adds up).
    /// </summary>
    internal TUsage Tu, Ru, Cru;
    public TUsage Usage => Tu;
    public TUsage ChildUsage => Cru;

    public bool Is(ProcessFlags flag) => (Flags & flag) != 0;

    public override string ToString() => $"{Command}[{Pid}] {Flags}";
}
