namespace MiniBSD.Kernel.Kern;

/// <summary>
/// The run queues (kern_sched.c): setrunnable and sched_choosecpu, sched_chooseproc with the woken threads' kernel
/// priority, need_resched, and sched_steal_proc for an idle CPU.
/// </summary>
public sealed partial class Sched
{
    /// <summary>
    /// setrunnable: the thread may run from simulated time <paramref name="at"/>. sched_choosecpu: its last CPU if that
    /// one is idle, else the lowest-numbered idle CPU, else its last CPU. A thread woken from a kernel sleep
    /// (<paramref name="fromSleep"/>) has the sleep's kernel priority (PVM, PWAIT... all better than PUSER): it goes
    /// ahead of the threads that run at user priority, and the CPU's running thread is asked to give way at its next
    /// return to user mode (setrunqueue's need_resched; preempt() in userret).
    /// </summary>
    public void Setrunnable(Proc p, long at, bool pin = false, bool fromSleep = false)
    {
        p.State = ProcState.Runnable;
        p.RunnableAt = at;
        int target = p.Cpu;
        if (!pin && !_cpus[target].Idle)
            target = Array.FindIndex(_cpus, c => c.Idle) is var idle and >= 0 ? idle : target;
        p.Cpu = target;
        var c = _cpus[target];
        if (!fromSleep)
        {
            c.RunQueue.Enqueue(p);
            return;
        }
        c.Woken.Enqueue(p);
        if (c.Cur is not null) c.WantResched = true;
    }

    /// <summary>
    /// sched_steal_proc: an idle CPU takes a thread waiting in a busy CPU's run queue, if it can start it before that
    /// CPU's present (the victim would run it no sooner). The idle CPUs and their victims are tried in CPU order; the
    /// thread keeps its priority class. True when a thread moved.
    /// </summary>
    private bool StealForIdle()
    {
        foreach (var thief in _cpus)
        {
            if (!thief.Idle) continue;
            foreach (var victim in _cpus)
            {
                if (victim == thief || victim.Cur is null || victim.Runnable == 0) continue;
                var queue = victim.Woken.Count > 0 ? victim.Woken : victim.RunQueue;
                var p = queue.Peek();
                if (Math.Max(thief.Cpu.Clock, p.RunnableAt) >= victim.Cpu.Clock) continue;
                queue.Dequeue();
                p.Cpu = thief.Cpu.Id;
                (queue == victim.Woken ? thief.Woken : thief.RunQueue).Enqueue(p);
                Steals++;
                return true;
            }
        }
        return false;
    }

    /// <summary>Threads an idle CPU took from another's run queue (sched_steal_proc).</summary>
    public long Steals { get; private set; }

    /// <summary>
    /// sched_chooseproc: the first woken thread (kernel priority) if it may run now, else the first of the run queue if
    /// that one may, else whichever may run sooner.
    /// </summary>
    private static Proc ChooseProc(PerCpu c)
    {
        long now = c.Cpu.Clock;
        if (c.Woken.Count == 0) return c.RunQueue.Dequeue();
        if (c.RunQueue.Count == 0) return c.Woken.Dequeue();
        long woken = c.Woken.Peek().RunnableAt, user = c.RunQueue.Peek().RunnableAt;
        return woken <= now || woken <= user ? c.Woken.Dequeue() : c.RunQueue.Dequeue();
    }

    /// <summary>A thread woken from a sleep may run on this CPU now: the running one should give way (need_resched).</summary>
    private static bool ShouldPreempt(PerCpu c) => c.WantResched && c.Woken.Count > 0 && c.Woken.Peek().RunnableAt <= c.Cpu.Clock;
}
