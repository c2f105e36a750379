using MiniBSD.Hal;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Tests.Kernel;

/// <summary>
/// statclock and the time accounting (kern_clock.c, kern_resource.c): the randomized period of initclocks, ticks by
/// what the CPU was doing, spinning charged as the spinner's system time, the handlers' cost as interrupt time.
/// </summary>
public sealed class StatClockTests
{
    private static (Machine M, Sched S) World(int cpus, SchedParams? p = null)
    {
        var m = new Machine(new MachineConfig { Cpus = cpus, MemoryBytes = 16 * MachineConfig.MiB });
        return (m, new Sched(m, p));
    }

    [Fact]
    public void The_period_is_initclocks_randomized_one_around_a_hundredth_of_a_second()
    {
        var (_, s) = World(1);
        // statclock_avg = 10,000,000 ns; var = 2^22, the largest power of two <= avg / 2; min = avg - var / 2.
        Assert.Equal((10_000_000L - (1L << 21), (1L << 22) - 1), (s.StatClock.StatclockMinNs, s.StatClock.StatclockMaskNs));
    }

    [Fact]
    public void A_second_of_kernel_work_gets_about_a_hundred_system_ticks_and_its_exact_cycles()
    {
        var (m, s) = World(2, new SchedParams(ContextSwitchCycles: 0, ClockInterruptCycles: 0));
        IEnumerator<Op> Busy()
        {
            for (int i = 0; i < 100; i++) yield return Op.Work(m.Costs.FrequencyHz / 100);   // 100 steps of 10 ms
        }
        var p = s.Spawn("busy", Busy(), cpu: 0);
        s.Run();
        Assert.Equal(m.Costs.FrequencyHz, p.Usage.SysCycles);
        Assert.Equal(0, p.Usage.UserCycles);
        Assert.InRange(p.Usage.STicks, 1_000_000_000 / (7_902_848 + 4_194_303), 1_000_000_000 / 7_902_848 + 1);   // 82..127
        Assert.Equal(p.Usage.STicks, s.StatClock.CpTime(m.Cpus[0])[(int)CpState.Sys]);
        Assert.Equal(0, s.StatClock.CpTime(m.Cpus[1])[(int)CpState.Sys]);   // cpu1 idled: its ticks were nobody's
        Assert.Equal(0, p.Usage.UTicks + p.Usage.ITicks);
    }

    [Fact]
    public void Each_seed_places_the_ticks_differently_and_the_same_seed_the_same()
    {
        long Ticks(int seed)
        {
            var (m, s) = World(1, new SchedParams(Seed: seed, ClockInterruptCycles: 0));
            IEnumerator<Op> Busy()
            {
                for (int i = 0; i < 50; i++) yield return Op.Work(m.Costs.FrequencyHz / 1000 * 7);   // 7 ms a step
            }
            var p = s.Spawn("busy", Busy(), cpu: 0);
            s.Run();
            return p.Usage.STicks;
        }
        var ticks = Enumerable.Range(1, 8).Select(Ticks).ToList();
        Assert.Equal(ticks, Enumerable.Range(1, 8).Select(Ticks).ToList());
        Assert.True(ticks.Distinct().Count() > 1, string.Join(", ", ticks));
    }

    [Fact]
    public void Spinning_for_a_lock_is_system_time_of_the_spinner_and_cp_spin_on_its_cpu()
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
        Assert.Equal((1000L, 0L), (a.Usage.SysCycles, a.Usage.SpinCycles));
        Assert.Equal((1100L + 10, 1100L), (b.Usage.SysCycles, b.Usage.SpinCycles));   // spun until 1000, +handoff, then its work
        Assert.Equal(b.LockWaitCycles, b.Usage.SpinCycles);
        Assert.Equal(1100, s.StatClock.CpCycles(m.Cpus[1])[(int)CpState.Spin]);
    }

    [Fact]
    public void The_clock_interrupts_cost_their_handlers_as_interrupt_time_in_neither_user_nor_system()
    {
        const long handler = 600;
        var (m, s) = World(1, new SchedParams(ContextSwitchCycles: 0, ClockInterruptCycles: handler));
        IEnumerator<Op> Busy()
        {
            for (int i = 0; i < 100; i++) yield return Op.Work(m.Costs.FrequencyHz / 100);
        }
        var p = s.Spawn("busy", Busy(), cpu: 0);
        s.Run();
        long ticks = s.StatClock.CpTime(m.Cpus[0]).ToArray().Sum();
        long intr = s.StatClock.CpCycles(m.Cpus[0])[(int)CpState.Intr];
        Assert.Equal(m.Costs.FrequencyHz, p.Usage.SysCycles);          // its own work only
        Assert.Equal(intr, p.Usage.IntrCycles);                        // the handlers ran while it was curproc
        Assert.True(intr > 0 && intr % handler == 0 && intr <= ticks * handler, $"{intr} cycles, {ticks} ticks");
        Assert.Equal(m.Costs.FrequencyHz + intr, m.Cpus[0].Clock);
    }
}
