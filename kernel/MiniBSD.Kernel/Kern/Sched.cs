using MiniBSD.Hal;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Kern;

/// <summary>
/// Deterministic simulated SMP (DESIGN.md "Time and concurrency"), in the roles of OpenBSD's kern_sched.c
/// (per-CPU run queues, sched_choosecpu), kern_synch.c (tsleep, wakeup) and mi_switch: one host thread drives every
/// CPU; the CPU with the smallest clock (lowest number on a tie) steps its current thread to its next yield; a thread
/// runs until it sleeps, yields, exits or spins on a lock, or its slice ends while it holds no lock (the kernel is not
/// preempted inside a critical section). The same threads, parameters and seed give the same run, event for event:
/// <see cref="TraceHash"/> folds every event.
/// </summary>
public sealed partial class Sched
{
    private sealed class PerCpu(Cpu cpu)
    {
        public Cpu Cpu { get; } = cpu;
        public Proc? Cur;
        public readonly Queue<Proc> RunQueue = new();
        public readonly Queue<Proc> Woken = new();   // woken from a kernel sleep: a kernel priority, ahead of RunQueue
        public bool WantResched;                      // need_resched: a woken thread waits for the CPU
        public long SliceEnd;
        public long IdleCycles;
        public Op Pending;          // a request made after timed work inside a frame, served at its own time
        public bool HasPending;
        public int Runnable => RunQueue.Count + Woken.Count;
        public bool Idle => Cur is null && Runnable == 0;
        public bool Spinning => Cur is { State: ProcState.Spinning };
    }

    private readonly PerCpu[] _cpus;
    private readonly Dictionary<object, List<Proc>> _sleepQueues = new(ReferenceEqualityComparer.Instance);
    private readonly Stack<List<Proc>> _spareQueues = new();   // emptied sleep queues, reused: a sleep allocates nothing
    private readonly SortedSet<(long At, long Seq, Proc P)> _timeouts =
        new(Comparer<(long At, long Seq, Proc P)>.Create((a, b) => a.At != b.At ? a.At.CompareTo(b.At) : a.Seq.CompareTo(b.Seq)));
    private long _timeoutSeq;
    private readonly Random _jitter;
    private int _nextId = 1;
    private ulong _hash = 14695981039346656037UL;

    public Sched(Machine machine, SchedParams? parameters = null)
    {
        Params = parameters ?? new SchedParams();
        _cpus = machine.Cpus.Select(c => new PerCpu(c)).ToArray();
        _jitter = new Random(Params.Seed);
        StatClock = new StatClock(machine, Params.Seed, Params.ClockInterruptCycles);
    }

    /// <summary>statclock and the time accounting: every change of what a CPU does is told to it.</summary>
    public StatClock StatClock { get; }

    public SchedParams Params { get; }

    /// <summary>
    /// KERNEL_LOCK: the one lock a thread may hold across a sleep. mi_switch releases every hold of it
    /// (__mp_release_all) and takes the same count back when the thread runs again (__mp_acquire_count).
    /// </summary>
    public MpLock? BigLock { get; set; }

    /// <summary>An FNV-1a hash over every scheduling event (CPU, clock, thread, what happened): equal for equal runs.</summary>
    public ulong TraceHash => _hash;

    /// <summary>cpu_switchto calls: threads switched in.</summary>
    public long ContextSwitches { get; private set; }

    /// <summary>Events folded into the hash so far.</summary>
    public long Events { get; private set; }

    /// <summary>Called on every switch in: (CPU, the thread that ran before or null, the thread now running).</summary>
    public Action<Cpu, Proc?, Proc>? SwitchHook { get; set; }

    /// <summary>
    /// Called when a thread has exited and is off its CPU (sched_exit switched to idle; sched_idle drains spc_deadproc
    /// and calls exit2 for each).
    /// </summary>
    public Action<Cpu, Proc>? ExitHook { get; set; }

    /// <summary>
    /// Called when a CPU switches to its idle thread: the thread it ran exited (sched_exit's cpu_switchto), or went to
    /// sleep with nothing else to run (mi_switch's).
    /// </summary>
    public Action<Cpu>? IdleHook { get; set; }

    /// <summary>The thread whose frame is being stepped now (its code is what runs), or null between steps.</summary>
    public Proc? Stepping { get; private set; }

    /// <summary>The thread running on a CPU, or null.</summary>
    public Proc? CurProc(Cpu cpu) => _cpus[cpu.Id].Cur;

    /// <summary>Cycles a CPU spent with nothing to run.</summary>
    public long IdleCycles(Cpu cpu) => _cpus[cpu.Id].IdleCycles;

    /// <summary>A new thread running <paramref name="entry"/>, runnable now on <paramref name="cpu"/> (or the scheduler's choice).</summary>
    public Proc Spawn(string name, IEnumerator<Op> entry, int cpu = -1, long at = 0)
    {
        var p = new Proc(_nextId++, name, entry) { Cpu = Math.Max(cpu, 0) };
        Setrunnable(p, at, pin: cpu >= 0);
        return p;
    }

    /// <summary>
    /// The thread fork makes (thread_new): a new id, on the parent's CPU, reading 0 as what its top frame's call
    /// returned, as a fork child does. Its frames are pushed by the caller (copies may refer to the new thread),
    /// then <see cref="ForkThreadStart"/> makes it runnable.
    /// </summary>
    public Proc NewChildThread(Proc parent, string name) => new(_nextId++, name, []) { Cpu = parent.Cpu, Retval = 0 };

    /// <summary>
    /// fork_thread_start: the child thread runs from the parent's present, on the parent's CPU if it is idle, else
    /// an idle one (sched_choosecpu_fork).
    /// </summary>
    public void ForkThreadStart(Proc parent, Proc child) => Setrunnable(child, _cpus[parent.Cpu].Cpu.Clock);

    /// <summary>
    /// Runs until no thread can run, or every CPU with work has reached <paramref name="until"/>, or
    /// <paramref name="stop"/> (asked every <see cref="StopCheckSteps"/> steps) says so; which of the three ended it
    /// (<see cref="RunEnd.Stalled"/> for nothing left to run). Panics on a deadlock (every CPU with work spinning on a lock).
    /// </summary>
    public RunEnd Run(long until = long.MaxValue, Func<bool>? stop = null)
    {
        for (long steps = 1; ; steps++)
        {
            if (stop is not null && (steps & (StopCheckSteps - 1)) == 0 && stop()) return RunEnd.Stopped;
            PerCpu? next = null;
            bool spinning = false, idle = false, waiting = false;
            foreach (var c in _cpus)
            {
                if (c.Spinning) { spinning = true; continue; }
                if (c.Idle) { idle = true; continue; }
                waiting |= c.Cur is not null && c.Runnable > 0;
                if (next is null || c.Cpu.Clock < next.Cpu.Clock) next = c;
            }
            if (idle && waiting && StealForIdle()) continue;
            if (_timeouts.Count > 0 && (next is null || _timeouts.Min.At <= next.Cpu.Clock))
            {
                if (_timeouts.Min.At >= until) return RunEnd.TimeLimit;
                Endtsleep(_timeouts.Min.P);
                continue;
            }
            if (next is null)
            {
                Kassert(!spinning, "sched: deadlock: every CPU with work is spinning on a lock");
                return RunEnd.Stalled;
            }
            if (next.Cpu.Clock >= until) return RunEnd.TimeLimit;
            Step(next);
        }
    }

    /// <summary>The thread being stepped now (curproc of the CPU that runs), or null between steps of none.</summary>
    public Proc? Running { get; private set; }

    /// <summary>How often <see cref="Run"/> asks its stop condition: a power of two.</summary>
    public const long StopCheckSteps = 1 << 16;

    private void Step(PerCpu c)
    {
        var cpu = c.Cpu;
        if (c.Cur is null) SwitchIn(c);
        var p = Running = c.Cur!;
        StatClock.Flush(cpu);   // the clock interrupts due by now are taken before the thread goes on
        if (StatClock.TakeOwed(cpu) is var owed and > 0) ClockInterrupts(cpu, owed);
        Op op;
        if (c.HasPending)
        {
            (op, c.HasPending) = (c.Pending, false);
        }
        else
        {
            if (p.InUser && BeforeUserCode(c, p)) return;
            long before = cpu.Clock;
            if (!p.InUser) op = p.Top.MoveNext() ? p.Top.Current : Op.Return(p.Retval);   // a frame that ends returns what it had
            else if (p.UserWorkLeft > 0) op = Op.Work(p.UserWorkLeft);                      // the computation the timer cut
            else if (!TryStepUserFrame(c, p, out op)) return;
            if (cpu.Clock != before)
            {
                // The frame did timed work itself (faults, a teardown): its request happens at the new time, so it
                // waits until every CPU behind this one has caught up (a lock taken "in the future" is not visible).
                p.RunCycles += cpu.Clock - before;
                (c.Pending, c.HasPending) = (op, true);
                return;
            }
        }
        Trace(cpu, p, op.Kind);
        if (p.InUser)
        {
            StepUser(c, p, op);
            return;
        }
        switch (op.Kind)
        {
            case OpKind.Work:
                cpu.AdvanceClock(op.Value);
                p.RunCycles += op.Value;
                break;
            case OpKind.Call: p.Push(op.Frame!); break;
            case OpKind.Return:
                p.Retval = op.Value;
                if (!p.Pop()) Exit(c, p, op.Value);
                else if (p.InUser) ReturnToUser(c, p, op.Value);
                return;
            case OpKind.Sleep: Tsleep(c, p, op.Target!, op.Catch); return;
            case OpKind.SleepTimeout: Tsleep(c, p, op.Target!, op.Catch, cpu.Clock + op.Value); return;
            case OpKind.Wakeup: Wakeup(op.Target!, cpu.Clock); break;
            case OpKind.Yield:
                Requeue(c, p);
                return;
            case OpKind.Lock: Lock(c, p, (MpLock)op.Target!); return;
            case OpKind.Unlock: Unlock(c, p, (MpLock)op.Target!); break;
            case OpKind.ReleaseAll: p.Retval = ReleaseAll(c, p, (MpLock)op.Target!); break;
            case OpKind.Exit: Exit(c, p, op.Value); return;
        }
        // The slice ended: round robin for a kernel thread that holds no lock. A process's thread is preempted only
        // in user mode, by the timer (the kernel is not preemptible; OpenBSD preempts in userret).
        if (cpu.Clock >= c.SliceEnd && c.Runnable > 0 && p.LocksHeld == 0 && p.UserFrames == 0) Requeue(c, p);
    }

    /// <summary>
    /// The system call's end: mi_syscall's KERNEL_UNLOCK() if it took the lock (a fork child's hold is the one
    /// proc_trampoline_mi took), then x0, PSTATE.C and the ERET. No thread goes to user mode holding the big lock.
    /// </summary>
    private void ReturnToUser(PerCpu c, Proc p, long value)
    {
        if (BigLock is { } big && big.Owner == p) Unlock(c, p, big);
        Kassert(p.LocksHeld == 0, "userret: {0} returns to user mode holding a lock", p);
        p.UserMode!.SyscallReturn(c.Cpu, p, value);   // back to user mode: x0, PSTATE.C, ERET
    }

    /// <summary>cpu_switchto: the next thread of the run queue starts (or resumes) running here.</summary>
    private void SwitchIn(PerCpu c)
    {
        var cpu = c.Cpu;
        var p = ChooseProc(c);
        c.WantResched = false;
        if (p.RunnableAt > cpu.Clock)
        {
            c.IdleCycles += p.RunnableAt - cpu.Clock;
            cpu.AdvanceClock(p.RunnableAt - cpu.Clock);
        }
        StatClock.Transition(cpu, CpState.Sys, p);   // cpu_switchto runs in the kernel, for the incoming thread
        long noise = Params.SwitchJitterCycles > 0 ? _jitter.NextInt64(Params.SwitchJitterCycles) : 0;
        cpu.AdvanceClock(Params.ContextSwitchCycles + noise);
        p.State = ProcState.OnProc;
        p.Switches++;
        ContextSwitches++;
        var previous = c.Cur;
        c.Cur = p;
        long jitter = Params.JitterCycles > 0 ? _jitter.NextInt64(Params.JitterCycles) : 0;
        c.SliceEnd = cpu.Clock + Params.QuantumCycles + jitter;
        if (p.BigLockHolds > 0) (c.Pending, c.HasPending) = (Op.Lock(BigLock!), true);   // mi_switch's __mp_acquire_count
        Trace(cpu, p, (OpKind)255);
        SwitchHook?.Invoke(cpu, previous, p);
        if (p.UserMode is not null) ResumeUser(c, p);   // a process's thread: the timer for its slice, EL0 if in user mode
    }

    private void Requeue(PerCpu c, Proc p)
    {
        p.State = ProcState.Runnable;
        p.RunnableAt = c.Cpu.Clock;
        c.RunQueue.Enqueue(p);
        SwitchOut(c);
    }

    /// <summary>The thread leaves the CPU, which idles until the next cpu_switchto.</summary>
    private void SwitchOut(PerCpu c)
    {
        c.Cur = null;
        StatClock.Transition(c.Cpu, CpState.Idle, null);
    }

    /// <summary>The clock interrupts that fired while the thread ran: their handlers' time, in neither its user nor its system time.</summary>
    private void ClockInterrupts(Cpu cpu, long cycles)
    {
        StatClock.EnterInterrupt(cpu);
        cpu.AdvanceClock(cycles);
        StatClock.LeaveInterrupt(cpu);
    }

    /// <summary>
    /// tsleep: the thread waits on <paramref name="channel"/>; no spin lock may be held across it. A PCATCH sleep with
    /// a signal already pending that will act ends at once with EINTR (OpenBSD's sleep_signal_check in sleep_setup):
    /// the signal may have come while the thread ran in the kernel on its way here, when there was no sleep to end.
    /// </summary>
    private void Tsleep(PerCpu c, Proc p, object channel, bool catchSignals, long timeoutAt = -1)
    {
        if (BigLock is { } big && big.Owner == p) p.BigLockHolds = ReleaseAll(c, p, big);
        Kassert(p.LocksHeld == 0, "tsleep: {0} sleeps holding a spin lock", p);
        p.State = ProcState.Sleeping;
        p.SleepCatches = catchSignals;
        p.WaitChannel = channel;
        if (!_sleepQueues.TryGetValue(channel, out var q))
            _sleepQueues[channel] = q = _spareQueues.TryPop(out var spare) ? spare : [];
        q.Add(p);
        SwitchOut(c);
        if (c.Runnable == 0) IdleHook?.Invoke(c.Cpu);   // mi_switch finds nothing to run: cpu_switchto(idle)
        if (timeoutAt >= 0)
        {
            p.Timeout = (timeoutAt, _timeoutSeq++);
            _timeouts.Add((timeoutAt, p.Timeout.Value.Seq, p));
        }
        if (catchSignals && p.Process is { } pr && KernSigPost.AnyWillAct(pr)) InterruptSleep(p, c.Cpu.Clock);
    }

    /// <summary>wakeup: every thread sleeping on the channel becomes runnable at <paramref name="at"/>, in the order they slept.</summary>
    public void Wakeup(object channel, long at)
    {
        if (!_sleepQueues.Remove(channel, out var sleepers)) return;
        foreach (var p in sleepers)
        {
            p.WaitChannel = null;
            if (p.Timeout is { } t)
            {
                _timeouts.Remove((t.At, t.Seq, p));
                p.Timeout = null;
                p.Retval = 0;
            }
            Setrunnable(p, at, fromSleep: true);
        }
        sleepers.Clear();
        _spareQueues.Push(sleepers);
    }

    /// <summary>endtsleep: a sleep's time is up; the thread leaves its channel and runs again, seeing EWOULDBLOCK.</summary>
    private void Endtsleep(Proc p)
    {
        long at = p.Timeout!.Value.At;
        Unsleep(p);
        p.Retval = (long)Abi.Errno.EAGAIN;   // EWOULDBLOCK
        Setrunnable(p, at, fromSleep: true);
    }

    /// <summary>unsleep: off its channel's queue and its timeout cancelled.</summary>
    private void Unsleep(Proc p)
    {
        if (p.Timeout is { } t)
        {
            _timeouts.Remove((t.At, t.Seq, p));
            p.Timeout = null;
        }
        var q = _sleepQueues[p.WaitChannel!];
        q.Remove(p);
        if (q.Count == 0)
        {
            _sleepQueues.Remove(p.WaitChannel!);
            _spareQueues.Push(q);
        }
        p.WaitChannel = null;
    }

    private void Exit(PerCpu c, Proc p, long status)
    {
        Kassert(p.LocksHeld == 0, "exit: {0} exits holding a spin lock", p);
        while (p.Depth > 0 && p.Pop()) { }
        p.State = ProcState.Dead;
        p.ExitStatus = status;
        SwitchOut(c);
        IdleHook?.Invoke(c.Cpu);
        ExitHook?.Invoke(c.Cpu, p);   // sched_exit: off its CPU now, so the idle loop hands it to exit2
    }

    private void Trace(Cpu cpu, Proc p, OpKind kind)
    {
        Fold((ulong)cpu.Id);
        Fold((ulong)cpu.Clock);
        Fold((ulong)p.Id);
        Fold((ulong)kind);
        Events++;
    }

    /// <summary>FNV-1a over 64-bit words (one multiply a value: the hash is only ever compared for equality).</summary>
    private void Fold(ulong value)
    {
        _hash ^= value;
        _hash *= 1099511628211UL;
    }
}
