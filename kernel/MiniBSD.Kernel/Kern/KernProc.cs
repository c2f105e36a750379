using MiniBSD.Kernel.Abi;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Kern;

/// <summary>
/// kern_proc.c's process lists and lookups: allprocess (live processes by pid), zombprocess (zombies by pid),
/// prfind and zombiefind, and the pid allocator that consults both. Lists are kept in pid-sorted dictionaries,
/// so every walk is in a fixed order (no hash-order dependence).
/// </summary>
public sealed class KernProc
{
    private readonly SortedDictionary<int, Process> _all = [];
    private readonly SortedDictionary<int, Process> _zombies = [];

    public KernProc(Random random, int maxProcesses)
    {
        Pids = new PidAllocator(random, pid => _all.ContainsKey(pid) || _zombies.ContainsKey(pid));
        MaxProcesses = maxProcesses;
    }

    public PidAllocator Pids { get; }

    /// <summary>maxprocess (kern.maxproc): fork fails with EAGAIN once this many processes, zombies included, exist.</summary>
    public int MaxProcesses { get; }

    /// <summary>nprocesses: live processes and zombies.</summary>
    public int Count => _all.Count + _zombies.Count;

    /// <summary>initprocess: pid 1, the adopter of orphans.</summary>
    public Process? Init { get; private set; }

    public IEnumerable<Process> All => _all.Values;
    public IEnumerable<Process> Zombies => _zombies.Values;

    /// <summary>prfind: a live process by pid.</summary>
    public Process? Prfind(int pid) => _all.GetValueOrDefault(pid);

    /// <summary>zombiefind: a zombie by pid.</summary>
    public Process? Zombiefind(int pid) => _zombies.GetValueOrDefault(pid);

    /// <summary>
    /// The part of fork1 that gives a new process its pid, family and place in allprocess; EAGAIN past maxprocess.
    /// The first process made is pid 1 and becomes init.
    /// </summary>
    /// <summary>Fault injection (the kernel's one <see cref="Kern.FailPoints"/>).</summary>
    public FailPoints FailPoints { get; set; } = new();

    public Errno ProcessNew(Process? parent, string command, out Process? pr)
    {
        pr = null;
        if (Count >= MaxProcesses) return Errno.EAGAIN;
        // sigactsinit: a child starts with a copy of its parent's actions; proc0's children with the defaults
        pr = new Process(Pids.AllocPid(), command, parent?.SigActs.Copy() ?? new SigActs()) { Parent = parent };
        if (parent is not null) pr.Pgid = parent.Pgid;
        parent?.ChildList.Add(pr);
        _all.Add(pr.Pid, pr);
        if (pr.Pid == 1) Init = pr;
        return Errno.None;
    }

    /// <summary>
    /// exit1's move from allprocess to zombprocess, or for a PS_NOZOMBIE process straight out (freepid now: no wait
    /// will ever name it).
    /// </summary>
    public void MakeZombie(Process pr)
    {
        Kassert(_all.Remove(pr.Pid), "exit1: {0} not in allprocess", pr);
        if (pr.Is(ProcessFlags.NoZombie))
        {
            Pids.FreePid(pr.Pid);
            return;
        }
        _zombies.Add(pr.Pid, pr);
    }

    /// <summary>proc_reparent: <paramref name="child"/> becomes a child of <paramref name="parent"/>.</summary>
    public static void ProcReparent(Process child, Process parent)
    {
        if (child.Parent == parent) return;
        child.Parent?.ChildList.Remove(child);
        parent.ChildList.Add(child);
        child.Parent = parent;
    }

    /// <summary>
    /// proc_finish_wait's bookkeeping: the waited-for zombie leaves zombprocess and its parent's children, its run time
    /// is added to the parent's children's total (ruadd), and its pid is freed (freepid); then process_zap.
    /// </summary>
    public void ProcFinishWait(Process parent, Process zombie)
    {
        Kassert(zombie.Is(ProcessFlags.Zombie) && zombie.Parent == parent, "proc_finish_wait: {0} is not a zombie of {1}", zombie, parent);
        parent.ChildRunCycles += zombie.RunCycles + zombie.ChildRunCycles;
        parent.Cru.Add(zombie.Ru);   // ruadd(&parent->ps_cru, pr->ps_ru): ps_ru already holds the zombie's ps_cru
        Kassert(_zombies.Remove(zombie.Pid), "proc_finish_wait: {0} not in zombprocess", zombie);
        Pids.FreePid(zombie.Pid);
        ProcessZap(zombie);
    }

    /// <summary>process_zap: unlink from the parent; what it still holds must already be gone.</summary>
    public void ProcessZap(Process pr)
    {
        Kassert(pr.Vmspace is null && pr.Fd is null, "process_zap: {0} still holds its vmspace or descriptors", pr);
        pr.Parent?.ChildList.Remove(pr);
        pr.Parent = null;
    }
}
