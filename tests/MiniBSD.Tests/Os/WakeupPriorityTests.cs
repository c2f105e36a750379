using MiniBSD.Hal;

namespace MiniBSD.Tests.Os;

/// <summary>
/// A thread woken from a kernel sleep runs at the sleep's kernel priority: ahead of threads at user priority, and the
/// user thread on its CPU is preempted at its next return to user mode (setrunqueue's need_resched, preempt in
/// userret), long before the 10 ms time slice would have ended.
/// </summary>
public abstract class WakeupPriorityTests(Arch arch)
{
    [Fact]
    public void A_sleeper_whose_time_is_up_preempts_a_busy_loop_on_its_cpu()
    {
        const string rc = "(sleep 0.0002; echo woke) &\nsleep 0.0001\ni=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; echo 'loop done'; wait\n";
        var s = new MiniSystem(rc, cpus: 1, arch: arch);
        Assert.Equal("woke\nloop done\n", s.Run());
        long end = s.Machine.Cpus[0].Clock;
        Assert.True(end < s.Kernel.Sched.Params.QuantumCycles, $"the run took {end} cycles: the time slice, not the wakeup, could have switched");
        s.AssertCleanHalt();
    }
}

public sealed class WakeupPriorityTestsArm64() : WakeupPriorityTests(Arch.Arm64);

public sealed class WakeupPriorityTestsAmd64() : WakeupPriorityTests(Arch.Amd64);
