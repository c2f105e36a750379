using MiniBSD.Kernel.Abi;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Kern;

/// <summary>
/// kern_fork.c: fork1 for a single-threaded process. The child gets a pid, the parent's process group, a
/// copy-on-write copy of the address space (uvmspace_fork), the descriptor table (fdcopy), the signal actions and
/// mask, and a thread whose frames are copies of the parent's (cpu_fork: the same point of execution), which sees 0
/// where the parent sees the child's pid.
/// </summary>
public sealed class KernFork(KernProc procs, Uvm.Uvm uvm, Sched sched)
{
    private readonly FrameCloner _cloner = new();
    private readonly object[] _remap = new object[4], _remapWithProgram = new object[6];   // (old, new) pairs for the cloner

    /// <summary>Forks made so far (forkstat.cntfork).</summary>
    public long Forks { get; private set; }

    /// <summary>
    /// fork1, called by <paramref name="p"/> as a frame (Op.Call): returns the child's pid to the parent, or -EAGAIN
    /// past maxprocess, -ENOMEM when the address space cannot be copied. The child resumes in the frame that called
    /// fork1, reading 0 as its result. Frames below are copied with references to the parent's thread and process
    /// re-pointed at the child's.
    /// </summary>
    public IEnumerator<Op> Fork1(Proc p, bool ppwait = false)
    {
        var parent = p.Process!;
        var error = Fork1Now(p, parent, out var child);
        if (error == Errno.None && ppwait)
        {
            child!.Flags |= ProcessFlags.PpWait;   // FORK_PPWAIT: PS_PPWAIT on the child, PS_ISPWAIT on the parent
            parent.Flags |= ProcessFlags.IsPWait;
        }
        yield return Op.Return(error == Errno.None ? child!.Pid : -(long)error);
    }

    /// <summary>Forks with FORK_PPWAIT made so far (forkstat.cntvfork).</summary>
    public long Vforks { get; private set; }

    public void Register(Sysent s)
    {
        s.Add(SysCall.Fork, SysFork);
        s.Add(SysCall.Vfork, SysVfork);
    }

    /// <summary>sys_fork: the child's pid in the parent; 0 in the child, which resumes here from fork1's return.</summary>
    private IEnumerator<Op> SysFork(Proc p, SyscallArgs a)
    {
        yield return Op.Call(Fork1(p));
        yield return Op.Return(p.Retval);
    }

    /// <summary>
    /// sys_vfork: fork1(FORK_VFORK | FORK_PPWAIT). OpenBSD's vfork shares nothing a fork would copy (no FORK_SHAREVM:
    /// the child gets a copy-on-write copy of the address space); what it keeps of vfork is the wait: the parent
    /// sleeps on "ppwait" until the child clears PS_ISPWAIT by exec or exit. The child (0 here) goes straight on.
    /// </summary>
    private IEnumerator<Op> SysVfork(Proc p, SyscallArgs a)
    {
        yield return Op.Call(Fork1(p, ppwait: true));
        long pid = p.Retval;
        if (pid > 0) Vforks++;
        while (pid > 0 && p.Process!.Is(ProcessFlags.IsPWait)) yield return Op.Sleep(p.Process);   // tsleep "ppwait"
        yield return Op.Return(pid);
    }

    /// <summary>
    /// The end of a vfork child's hold on its parent, at its execve or exit1: PS_PPWAIT and the parent's PS_ISPWAIT
    /// cleared, the parent woken (its channel: the process). True when there was a parent to wake.
    /// </summary>
    public static bool ReleasePpwait(Process child)
    {
        if (!child.Is(ProcessFlags.PpWait)) return false;
        child.Flags &= ~ProcessFlags.PpWait;
        if (child.Parent is { } parent) parent.Flags &= ~ProcessFlags.IsPWait;
        return child.Parent is not null;
    }

    private Errno Fork1Now(Proc p, Process parent, out Process? child)
    {
        child = null;
        // The maxprocess check comes first in fork1 (fault injection's process_new fails here, as a full table would).
        if (procs.Count >= procs.MaxProcesses || procs.FailPoints.Fail(FailSite.ProcessNew)) return Errno.EAGAIN;
        var cpu = uvm.Machine.Cpu(p.Cpu);
        Uvm.Vmspace? vm = null;
        if (parent.Vmspace is { } pvm && (vm = uvm.UvmspaceFork(cpu, pvm)) is null) return Errno.ENOMEM;
        Kassert(procs.ProcessNew(parent, parent.Command, out child) == Errno.None, "fork1: process table full after the check");
        child!.Vmspace = vm;
        child.Fd = parent.Fd?.Copy();
        if (vm is not null) uvm.Pmaps.PmapActivate(cpu, vm.Pmap, curproc: false);   // the child's thread counts in pm_active
        StartThread(p, child);
        Forks++;
        return Errno.None;
    }

    /// <summary>cpu_fork + fork_thread_start: the child's thread, its stack a copy of the parent's below fork1's frame.</summary>
    private void StartThread(Proc p, Process child)
    {
        var childThread = sched.NewChildThread(p, child.Command);
        childThread.Process = child;
        childThread.UserFrames = p.UserFrames;
        childThread.UserMode = p.UserMode;
        childThread.Carry = p.Carry;
        child.MainThread = childThread;
        // Its copied frames include mi_syscall's KERNEL_UNLOCK: proc_trampoline_mi takes the lock first, so the child
        // starts by taking as many holds as the parent has (1 from a locked fork).
        if (sched.BigLock is { } big && big.Owner == p) childThread.BigLockHolds = big.Depth;
        CopyFrames(p, childThread, child);
        sched.ForkThreadStart(p, childThread);
    }

    /// <summary>
    /// Pushes onto <paramref name="thread"/> copies of the parent's frames below fork1's own (the top one), bottom
    /// first, with the thread, the process and the program object (copied first: the frames' &lt;&gt;4__this)
    /// re-pointed at the child's.
    /// </summary>
    private void CopyFrames(Proc p, Proc thread, Process child)
    {
        var remap = _remap;   // fork1 runs to the end without yielding, so one table serves every fork
        (remap[0], remap[1], remap[2], remap[3]) = (p, thread, p.Process!, child);
        if (p.Program is { } program)
        {
            remap = _remapWithProgram;
            (remap[0], remap[1], remap[2], remap[3]) = (p, thread, p.Process!, child);
            (remap[4], remap[5]) = (program, thread.Program = _cloner.Clone(program, _remap));
        }
        var frames = p.Frames;
        for (int i = 0; i < frames.Count - 1; i++) thread.Push(_cloner.Clone(frames[i], remap));
        Array.Clear(_remap);   // hold no dead process
        Array.Clear(_remapWithProgram);
    }
}
