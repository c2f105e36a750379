namespace MiniBSD.Kernel.Kern;

/// <summary>
/// allocpid, freepid and ispidtaken (OpenBSD kern/kern_fork.c): pid 1 first (init), then pids drawn at random from
/// [2, PID_MAX] until one is free, where a pid is taken while a process, zombie or process group uses it, or while it
/// is among the last 128 pids freed (so a pid is not reused at once). The random source is the kernel's seeded one,
/// so a run's pids are the same for the same seed.
/// </summary>
public sealed class PidAllocator(Random random, Func<int, bool> inUse)
{
    /// <summary>PID_MAX (sys/proc.h).</summary>
    public const int PID_MAX = 99999;

    private readonly int[] _oldPids = new int[128];   // oldpids[]: a ring of recently freed pids
    private uint _oldPidIndex;
    private bool _first = true;

    /// <summary>allocpid.</summary>
    public int AllocPid()
    {
        if (_first)
        {
            _first = false;
            return 1;
        }
        int pid;
        do pid = 2 + random.Next(PID_MAX - 1);   // arc4random_uniform(PID_MAX - 1): [0, PID_MAX - 2]
        while (IsPidTaken(pid));
        return pid;
    }

    /// <summary>ispidtaken: recently freed, or in use by a process, zombie or process group.</summary>
    public bool IsPidTaken(int pid) => Array.IndexOf(_oldPids, pid) >= 0 || inUse(pid);

    /// <summary>freepid: remembers the pid, so allocpid skips it for the next 128 frees.</summary>
    public void FreePid(int pid) => _oldPids[_oldPidIndex++ % (uint)_oldPids.Length] = pid;
}
