using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Kern;

/// <summary>
/// Spinning kernel locks in simulated time (__mp_lock): take, release, release every hold, and the hand-off to the
/// thread that has spun longest; KERNEL_LOCK's holds taken back after a sleep.
/// </summary>
public sealed partial class Sched
{
    private void Lock(PerCpu c, Proc p, MpLock l)
    {
        if (l.Owner == p)
        {
            l.Depth++;
            return;
        }
        if (l.Owner is null)
        {
            Take(l, p, c.Cpu.Clock);
            return;
        }
        l.Contended++;
        p.State = ProcState.Spinning;                      // this CPU spins; it runs nothing else meanwhile
        StatClock.Transition(c.Cpu, CpState.Spin, p);     // spc_spinning: CP_SPIN, and still the spinner's system time
        l.Waiters.Enqueue((p, c.Cpu.Clock));
    }

    private void Unlock(PerCpu c, Proc p, MpLock l)
    {
        Kassert(l.Owner == p, "__mp_unlock: {0} is not held by {1}", l.Name, p);
        if (--l.Depth > 0) return;
        long now = c.Cpu.Clock;
        l.HoldCycles += now - l.AcquiredAt;
        l.Owner = null;
        p.LocksHeld--;
        if (!l.Waiters.TryDequeue(out var waiter)) return;
        // The next spinner gets it at the release time plus the hand-off, or at once if its CPU is already later.
        var wc = _cpus[waiter.Proc.Cpu];
        long at = Math.Max(wc.Cpu.Clock, now) + Params.LockHandoffCycles;
        wc.Cpu.AdvanceClock(at - wc.Cpu.Clock);
        StatClock.Transition(wc.Cpu, CpState.Sys, waiter.Proc);
        waiter.Proc.LockWaitCycles += at - waiter.Since;
        l.WaitCycles += at - waiter.Since;
        waiter.Proc.State = ProcState.OnProc;
        Take(l, waiter.Proc, at);
    }

    private int ReleaseAll(PerCpu c, Proc p, MpLock l)
    {
        if (l.Owner != p) return 0;
        int holds = l.Depth;
        l.Depth = 1;
        Unlock(c, p, l);
        return holds;
    }

    private void Take(MpLock l, Proc p, long at)
    {
        l.Owner = p;
        l.Depth = 1;
        if (l == BigLock && p.BigLockHolds > 0) (l.Depth, p.BigLockHolds) = (p.BigLockHolds, 0);   // the holds a sleep gave up
        l.AcquiredAt = at;
        l.Acquisitions++;
        p.LocksHeld++;
    }
}
