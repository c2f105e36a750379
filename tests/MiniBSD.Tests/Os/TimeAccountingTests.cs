using System.Text.RegularExpressions;
using MiniBSD.Hal;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Tests.Os;

/// <summary>
/// time(1) as OpenBSD accounts it, on a whole system: what wait4 hands a parent, what no process is charged with
/// (exit1 after its tuagg_add_process, the reaper, interrupts), and that every cycle every CPU ran is charged exactly once.
/// </summary>
public abstract class TimeAccountingTests(Arch arch)
{
    [Fact]
    public void Time_prints_the_real_time_and_the_ticks_wait4_returned_for_the_command()
    {
        // 200 ms of computing in cc (and 50 ms more in the assembler it runs and waits for).
        var s = new MiniSystem("time cc -c -m 64 -w 500000000 -h 1 x.c\necho status $?\n", cpus: 2, arch: arch);
        string output = s.Run();
        s.AssertCleanHalt();
        var m = Regex.Match(output, @"^ +(\d+)\.(\d\d) real +(\d+)\.(\d\d) user +(\d+)\.(\d\d) sys\nstatus 0\n$");
        Assert.True(m.Success, output);
        double F(int g) => int.Parse(m.Groups[g].Value) + int.Parse(m.Groups[g + 1].Value) / 100.0;
        Assert.Equal(0.25, F(1));                 // CLOCK_MONOTONIC around the fork and the wait
        Assert.InRange(F(3), 0.18, 0.32);         // 25 ticks expected at 100 Hz, randomized periods
        Assert.Equal(0.00, F(5));                 // faults and system calls: well under a tick
    }

    [Theory]
    [InlineData(ExitPath.Purge)]
    [InlineData(ExitPath.Reaper)]
    public void Every_cycle_of_every_cpu_is_charged_once_and_the_teardown_is_in_no_processs_time(ExitPath path)
    {
        var s = new MiniSystem("memtouch 2000\nexitstorm 8 4\necho done\n", cpus: 4, exitPath: path, arch: arch);
        Assert.Equal("done\n", s.Run());
        s.AssertCleanHalt();
        var k = s.Kernel;
        foreach (var cpu in s.Machine.Cpus) k.Sched.StatClock.Flush(cpu);
        var seen = k.Init!.ChildUsage + k.Init.Usage + k.Init.MainThread!.Usage;
        var unseen = k.Exit.Stats.UnseenByParents;
        var reaper = k.Exit.ReaperUsage;
        long Cp(CpState st) => s.Machine.Cpus.Sum(c => k.Sched.StatClock.CpCycles(c)[(int)st]);
        // Conservation: cp_time's cycles are exactly the processes' (seen by time(1) or not) and the reaper's.
        Assert.Equal(Cp(CpState.User), seen.UserCycles + unseen.UserCycles + reaper.UserCycles);
        Assert.Equal(Cp(CpState.Sys) + Cp(CpState.Spin), seen.SysCycles + unseen.SysCycles + reaper.SysCycles);
        Assert.Equal(Cp(CpState.Spin), seen.SpinCycles + unseen.SpinCycles + reaper.SpinCycles);
        Assert.Equal(s.Machine.Cpus.Sum(c => c.Clock), Enum.GetValues<CpState>().Sum(Cp));
        // Where the teardown went: exit1's (after tuagg) in no time(1); the reaper's is a kernel thread's.
        var stats = k.Exit.Stats;
        Assert.True(unseen.SysCycles >= stats.Exit1TeardownCycles, $"{unseen.SysCycles} < {stats.Exit1TeardownCycles}");
        Assert.True(reaper.SysCycles >= stats.ReaperTeardownCycles, $"{reaper.SysCycles} < {stats.ReaperTeardownCycles}");
        if (path == ExitPath.Purge) Assert.True(stats.FramesFreedInExit1 > stats.FramesFreedByReaper);
        else Assert.Equal(0, stats.Exit1TeardownCycles);
        Assert.Equal(0, unseen.UserCycles);   // exit1 runs in the kernel
    }
}

public sealed class TimeAccountingTestsArm64() : TimeAccountingTests(Arch.Arm64);

public sealed class TimeAccountingTestsAmd64() : TimeAccountingTests(Arch.Amd64);
