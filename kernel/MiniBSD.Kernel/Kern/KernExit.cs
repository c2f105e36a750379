using MiniBSD.Kernel.Abi;

namespace MiniBSD.Kernel.Kern;

/// <summary>What wait4 hands back besides the pid: the status word and the child's run time (its rusage).</summary>
public sealed class WaitResult
{
    public int Status { get; internal set; }
    public long ChildRunCycles { get; internal set; }
}

/// <summary>kern_exit.c: wait4 (dowait6). exit1, exit2 and the reaper join it here.</summary>
public sealed class KernExit(KernProc procs)
{
    /// <summary>The wait4 options MiniBSD accepts (sys_wait4 rejects any other bit with EINVAL).</summary>
    private const int ValidOptions = Wait.WNOHANG | Wait.WUNTRACED | Wait.WCONTINUED;

    /// <summary>
    /// dowait6 for wait4(pid, &amp;status, options): a frame that returns the pid of a zombie child it reaped (its
    /// status in <paramref name="result"/>), 0 under WNOHANG while matching children still run, or -errno: ECHILD
    /// when no child matches (children that will leave no zombie, PS_NOZOMBIE, do not count), EINVAL for unknown
    /// options. Otherwise it sleeps on the parent until a child's exit wakes it, and looks again.
    /// pid: -1 any child, &gt; 0 that child, 0 any child in the caller's process group, &lt; -1 any in group -pid.
    /// </summary>
    public IEnumerator<Op> Dowait6(Process parent, int pid, int options, WaitResult result)
    {
        if ((options & ~ValidOptions) != 0)
        {
            yield return Op.Return(-(long)Errno.EINVAL);
            yield break;
        }
        while (true)
        {
            var (found, zombie) = Scan(parent, pid);
            if (zombie is not null)
            {
                result.Status = Wait.ExitCode(zombie.XExit, zombie.XSig);
                result.ChildRunCycles = zombie.RunCycles + zombie.ChildRunCycles;
                procs.ProcFinishWait(parent, zombie);
                yield return Op.Return(zombie.Pid);
                yield break;
            }
            if (found == 0)
            {
                yield return Op.Return(-(long)Errno.ECHILD);
                yield break;
            }
            if ((options & Wait.WNOHANG) != 0)
            {
                yield return Op.Return(0);
                yield break;
            }
            yield return Op.Sleep(parent);   // tsleep(q->p_p, PWAIT, "wait"): exit1 and the reaper wake the parent
        }
    }

    /// <summary>dowait6's walk of ps_children: how many match, and the first matching zombie.</summary>
    private static (int Found, Process? Zombie) Scan(Process parent, int pid)
    {
        int found = 0;
        foreach (var child in parent.Children)
        {
            if (child.Is(ProcessFlags.NoZombie) || !Matches(parent, child, pid)) continue;
            found++;
            if (child.Is(ProcessFlags.Zombie)) return (found, child);
        }
        return (found, null);
    }

    private static bool Matches(Process parent, Process child, int pid) => pid switch
    {
        Wait.WAIT_ANY => true,
        Wait.WAIT_MYPGRP => child.Pgid == parent.Pgid,
        < 0 => child.Pgid == -pid,
        _ => child.Pid == pid,
    };
}
