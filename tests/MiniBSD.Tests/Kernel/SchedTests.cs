using MiniBSD.Hal;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Tests.Kernel;

/// <summary>Deterministic simulated SMP: time slices, sleep/wakeup, locks in simulated time, frames, determinism.</summary>
public sealed class SchedTests
{
    private static (Machine M, Sched S) World(int cpus, SchedParams? p = null)
    {
        var m = new Machine(new MachineConfig { Cpus = cpus, MemoryBytes = 16 * MachineConfig.MiB });
        return (m, new Sched(m, p));
    }

    private static IEnumerator<Op> Worker(long cycles, int steps, List<string>? log = null, string name = "")
    {
        for (int i = 0; i < steps; i++)
        {
            log?.Add(name);
            yield return Op.Work(cycles);
        }
    }

    [Fact]
    public void Threads_on_one_cpu_share_it_round_robin_by_time_slice()
    {
        var (m, s) = World(1, new SchedParams(QuantumCycles: 1000, ContextSwitchCycles: 10));
        var log = new List<string>();
        s.Spawn("a", Worker(400, 5, log, "a"), cpu: 0);
        s.Spawn("b", Worker(400, 5, log, "b"), cpu: 0);
        s.Run();
        // Slices of 1000 cycles: three steps of 400 (1200 >= 1000) before the switch.
        Assert.Equal("aaabbbaabb", string.Concat(log));
        Assert.Equal(10 * 400 + 4 * 10, m.Cpus[0].Clock);
    }

    [Fact]
    public void A_thread_woken_from_a_sleep_runs_before_the_threads_waiting_at_user_priority()
    {
        var (_, s) = World(1, new SchedParams(QuantumCycles: 1000, ContextSwitchCycles: 10));
        var log = new List<string>();
        var channel = new object();
        IEnumerator<Op> Waker()
        {
            log.Add("a");
            yield return Op.Wakeup(channel);
            for (int i = 0; i < 3; i++)
            {
                log.Add("a");
                yield return Op.Work(400);
            }
        }
        IEnumerator<Op> Sleeper()
        {
            yield return Op.Sleep(channel);
            log.Add("k");
            yield return Op.Work(100);
        }
        s.Spawn("k", Sleeper(), cpu: 0);
        s.Spawn("a", Waker(), cpu: 0);
        s.Spawn("b", Worker(400, 2, log, "b"), cpu: 0);
        s.Run();
        // k sleeps; a wakes it and runs out its slice (a kernel thread is not preempted); k, woken, goes before b.
        Assert.Equal("aaaakbb", string.Concat(log));   // round robin alone would give "aaaabbk"
    }

    [Fact]
    public void An_idle_cpu_takes_a_thread_waiting_behind_a_busy_one()
    {
        var (m, s) = World(2, new SchedParams(ContextSwitchCycles: 0));
        long startedAt = -1;
        int startedOn = -1;
        Proc? c = null;
        IEnumerator<Op> Late()
        {
            startedAt = m.Cpu(c!.Cpu).Clock;
            startedOn = c.Cpu;
            yield return Op.Work(10);
        }
        s.Spawn("a", Worker(1_000_000, 10), cpu: 0);    // 10 M cycles on cpu0, within one 25 M-cycle slice
        s.Spawn("b", Worker(100_000, 1), cpu: 1);       // cpu1 is free at 100,000
        c = s.Spawn("c", Late(), cpu: 0, at: 50_000);   // queued behind a at 50,000
        s.Run();
        Assert.Equal((1, 100_000L), (startedOn, startedAt));   // round robin alone: cpu0, at 10,000,000
        Assert.Equal(1, s.Steals);
    }

    [Fact]
    public void A_frame_can_call_a_subroutine_and_read_what_it_returns()
    {
        var (_, s) = World(1);
        long seen = 0;
        IEnumerator<Op> Callee()
        {
            yield return Op.Work(5);
            yield return Op.Return(42);
        }
        IEnumerator<Op> Caller(Func<Proc> self)
        {
            yield return Op.Call(Callee());
            seen = self().Retval;
            yield return Op.Exit(7);
        }
        Proc? p = null;
        p = s.Spawn("caller", Caller(() => p!));
        s.Run();
        Assert.Equal((42L, ProcState.Dead, 7L), (seen, p.State, p.ExitStatus));
    }

    [Fact]
    public void A_sleeper_resumes_on_an_idle_cpu_at_the_time_of_the_wakeup()
    {
        var (m, s) = World(2, new SchedParams(ContextSwitchCycles: 0));
        var channel = new object();
        long resumedAt = -1;
        IEnumerator<Op> Sleeper()
        {
            yield return Op.Sleep(channel);
            resumedAt = m.Cpus[1].Clock;
        }
        IEnumerator<Op> Waker()
        {
            yield return Op.Work(5000);
            yield return Op.Wakeup(channel);
            yield return Op.Work(100);
        }
        s.Spawn("sleeper", Sleeper(), cpu: 1);
        s.Spawn("waker", Waker(), cpu: 0);
        s.Run();
        Assert.Equal(5000, resumedAt);
        Assert.Equal(5000, s.IdleCycles(m.Cpus[1]));
    }

    [Fact]
    public void A_contended_lock_makes_the_second_cpu_wait_until_the_release_plus_the_handoff()
    {
        var (m, s) = World(2, new SchedParams(ContextSwitchCycles: 0, LockHandoffCycles: 100));
        var kernelLock = new MpLock("kernel_lock");
        IEnumerator<Op> Critical(long work)
        {
            yield return Op.Lock(kernelLock);
            yield return Op.Work(work);
            yield return Op.Unlock(kernelLock);
        }
        var a = s.Spawn("a", Critical(1000), cpu: 0);
        var b = s.Spawn("b", Critical(10), cpu: 1);
        s.Run();
        Assert.Equal(1000, m.Cpus[0].Clock);
        Assert.Equal(1000 + 100 + 10, m.Cpus[1].Clock);                // spun until 1000, +handoff, then its work
        Assert.Equal((0L, 1100L), (a.LockWaitCycles, b.LockWaitCycles));
        Assert.Equal((2L, 1L, 1010L), (kernelLock.Acquisitions, kernelLock.Contended, kernelLock.HoldCycles));
    }

    [Fact]
    public void A_big_lock_serialises_what_runs_in_parallel_without_it()
    {
        long Elapsed(bool locked)
        {
            var (m, s) = World(8, new SchedParams(ContextSwitchCycles: 0, LockHandoffCycles: 0));
            var l = new MpLock("kernel_lock");
            IEnumerator<Op> Job()
            {
                if (locked) yield return Op.Lock(l);
                yield return Op.Work(10_000);
                if (locked) yield return Op.Unlock(l);
            }
            for (int i = 0; i < 8; i++) s.Spawn($"job{i}", Job(), cpu: i);
            s.Run();
            return m.Cpus.Max(c => c.Clock);
        }
        Assert.Equal(10_000, Elapsed(locked: false));
        Assert.Equal(80_000, Elapsed(locked: true));
    }

    [Fact]
    public void Locks_taken_in_opposite_orders_deadlock_and_the_scheduler_says_so()
    {
        var (_, s) = World(2);
        var l1 = new MpLock("l1");
        var l2 = new MpLock("l2");
        IEnumerator<Op> Take(MpLock first, MpLock second)
        {
            yield return Op.Lock(first);
            yield return Op.Work(100);
            yield return Op.Lock(second);
        }
        s.Spawn("a", Take(l1, l2), cpu: 0);
        s.Spawn("b", Take(l2, l1), cpu: 1);
        Assert.Contains("deadlock", Assert.Throws<KernelPanicException>(() => s.Run()).Message);
    }

    [Fact]
    public void Sleeping_with_a_spin_lock_held_panics()
    {
        var (_, s) = World(1);
        var l = new MpLock("l");
        IEnumerator<Op> Bad()
        {
            yield return Op.Lock(l);
            yield return Op.Sleep(l);
        }
        s.Spawn("bad", Bad());
        Assert.StartsWith("panic: tsleep:", Assert.Throws<KernelPanicException>(() => s.Run()).Message);
    }

    /// <summary>Producers and consumers on four CPUs, a shared lock, seeded work sizes: a busy, racy-looking run.</summary>
    private static (ulong Hash, long Total, long[] Clocks) Storm(int seed, long jitter)
    {
        var (m, s) = World(4, new SchedParams(QuantumCycles: 5_000, Seed: seed, JitterCycles: jitter));
        var l = new MpLock("kernel_lock");
        var channel = new object();
        long total = 0;
        IEnumerator<Op> Thread(int id)
        {
            var rng = new Random(id);
            for (int i = 0; i < 50; i++)
            {
                yield return Op.Work(rng.Next(100, 3000));
                yield return Op.Lock(l);
                total += id;
                yield return Op.Work(rng.Next(10, 200));
                yield return Op.Unlock(l);
                if (i % 10 == 9) yield return id % 2 == 0 ? Op.Sleep(channel) : Op.Wakeup(channel);
            }
            yield return Op.Wakeup(channel);
        }
        for (int i = 0; i < 12; i++) s.Spawn($"t{i}", Thread(i));
        s.Run();
        s.Wakeup(channel, m.Cpus.Max(c => c.Clock));                     // anyone left asleep finishes
        s.Run();
        return (s.TraceHash, total, m.Cpus.Select(c => c.Clock).ToArray());
    }

    [Fact]
    public void The_same_inputs_and_seed_give_the_same_run_event_for_event()
    {
        var first = Storm(seed: 1, jitter: 2_000);
        var again = Storm(seed: 1, jitter: 2_000);
        Assert.Equal(first.Hash, again.Hash);
        Assert.Equal(first.Clocks, again.Clocks);
        var other = Storm(seed: 2, jitter: 2_000);
        Assert.NotEqual(first.Hash, other.Hash);                          // another interleaving...
        Assert.Equal(first.Total, other.Total);                           // ...of the same correct result
        Assert.Equal(50 * Enumerable.Range(0, 12).Sum(), first.Total);
    }
}

/// <summary>__mp_release_all, as exit1 uses it around uvm_purge.</summary>
public sealed class SchedReleaseAllTests
{
    [Fact]
    public void Release_all_drops_every_recursive_hold_and_hands_the_lock_to_a_spinner()
    {
        var m = new Machine(new MachineConfig { Cpus = 2, MemoryBytes = 16 * MachineConfig.MiB });
        var s = new Sched(m, new SchedParams(ContextSwitchCycles: 0, LockHandoffCycles: 0));
        var l = new MpLock("kernel_lock");
        long released = -1, spinnerGotItAt = -1;
        Proc? holder = null;
        IEnumerator<Op> Holder()
        {
            for (int i = 0; i < 3; i++) yield return Op.Lock(l);
            yield return Op.Work(10_000);
            yield return Op.ReleaseAll(l);
            released = holder!.Retval;
            yield return Op.ReleaseAll(l);                   // not held any more: releases nothing
            Assert.Equal(0, holder!.Retval);
            yield return Op.Work(5_000);
        }
        IEnumerator<Op> Spinner()
        {
            yield return Op.Work(100);
            yield return Op.Lock(l);
            spinnerGotItAt = m.Cpus[1].Clock;
            yield return Op.Unlock(l);
        }
        holder = s.Spawn("holder", Holder(), 0);
        s.Spawn("spinner", Spinner(), 1);
        s.Run();
        Assert.Equal(3, released);
        Assert.Equal(10_000, spinnerGotItAt);               // at the release, not after the holder's later work
        Assert.Null(l.Owner);
        Assert.Equal(0, holder.LocksHeld);
    }
}

/// <summary>tsleep with a timeout: the basis of nanosleep and sleep(1) in simulated time.</summary>
public sealed class SchedTimeoutTests
{
    private static (Machine M, Sched S) World(int cpus)
    {
        var m = new Machine(new MachineConfig { Cpus = cpus, MemoryBytes = 16 * MachineConfig.MiB });
        return (m, new Sched(m, new SchedParams(ContextSwitchCycles: 0)));
    }

    [Fact]
    public void A_sleep_with_no_wakeup_ends_at_its_timeout_with_EWOULDBLOCK()
    {
        var (m, s) = World(1);
        long resumedAt = -1, ret = -1;
        Proc? p = null;
        IEnumerator<Op> Sleeper()
        {
            yield return Op.Work(500);
            yield return Op.Sleep(new object(), 10_000);
            (resumedAt, ret) = (m.Cpus[0].Clock, p!.Retval);
        }
        p = s.Spawn("sleeper", Sleeper(), 0);
        s.Run();
        Assert.Equal((10_500L, 35L), (resumedAt, ret));
        Assert.Equal(10_000, s.IdleCycles(m.Cpus[0]));
    }

    [Fact]
    public void A_wakeup_before_the_timeout_returns_0_and_the_timeout_never_fires()
    {
        var (m, s) = World(2);
        var channel = new object();
        var later = new object();
        var log = new List<string>();
        Proc? p = null;
        IEnumerator<Op> Sleeper()
        {
            yield return Op.Sleep(channel, 100_000);
            log.Add($"woken {p!.Retval} at {m.Cpus[0].Clock}");
            yield return Op.Sleep(later);                  // a stale timeout would wake this sleep at 100,000
            log.Add($"second {p!.Retval} at {m.Cpus[0].Clock}");
        }
        IEnumerator<Op> Waker()
        {
            yield return Op.Work(3_000);
            yield return Op.Wakeup(channel);
            yield return Op.Work(500_000);
            yield return Op.Wakeup(later);
        }
        p = s.Spawn("sleeper", Sleeper(), 0);
        s.Spawn("waker", Waker(), 1);
        s.Run();
        Assert.Equal(["woken 0 at 3000", "second 0 at 503000"], log);
    }

    [Fact]
    public void Timeouts_fire_in_time_order_across_cpus()
    {
        var (m, s) = World(2);
        var log = new List<string>();
        IEnumerator<Op> Sleeper(string name, long cycles, int cpu)
        {
            yield return Op.Sleep(new object(), cycles);
            log.Add($"{name}@{m.Cpus[cpu].Clock}");
        }
        s.Spawn("a", Sleeper("a", 30_000, 0), 0);
        s.Spawn("b", Sleeper("b", 10_000, 1), 1);
        s.Spawn("c", Sleeper("c", 20_000, 0), 0);
        s.Run();
        Assert.Equal(["b@10000", "c@20000", "a@30000"], log);
    }
}

/// <summary>Causality: a request a frame makes after timed work of its own is served at that later time.</summary>
public sealed class SchedCausalityTests
{
    [Fact]
    public void A_lock_asked_for_after_timed_work_in_a_frame_goes_to_the_cpu_that_asked_earlier_in_simulated_time()
    {
        var m = new Machine(new MachineConfig { Cpus = 2, MemoryBytes = 16 * MachineConfig.MiB });
        var s = new Sched(m, new SchedParams(ContextSwitchCycles: 0, LockHandoffCycles: 0));
        var l = new MpLock("kernel_lock");
        var order = new List<string>();
        IEnumerator<Op> Late()
        {
            m.Cpus[0].AdvanceClock(10_000);               // e.g. a teardown done inside the frame, without yielding
            yield return Op.Lock(l);
            order.Add($"late@{m.Cpus[0].Clock}");
            yield return Op.Unlock(l);
        }
        IEnumerator<Op> Early()
        {
            yield return Op.Work(5_000);
            yield return Op.Lock(l);
            order.Add($"early@{m.Cpus[1].Clock}");
            yield return Op.Work(1_000);
            yield return Op.Unlock(l);
        }
        var late = s.Spawn("late", Late(), 0);
        s.Spawn("early", Early(), 1);
        s.Run();
        Assert.Equal(["early@5000", "late@10000"], order);
        Assert.Equal(0, late.LockWaitCycles);              // released at 6,000, before it asked at 10,000
        Assert.Equal(10_000, late.RunCycles);              // the frame's own timed work is charged to it
    }
}
