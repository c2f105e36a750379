using MiniBSD.Kernel.Kern;

namespace MiniBSD.Tests.Kernel;

/// <summary>allocpid/freepid: 1 first, then random free pids in [2, PID_MAX], recently freed pids held back.</summary>
public sealed class PidAllocatorTests
{
    [Fact]
    public void The_first_pid_is_1_and_the_rest_are_distinct_and_in_range()
    {
        var live = new HashSet<int>();
        var pids = new PidAllocator(new Random(1), live.Contains);
        Assert.Equal(1, pids.AllocPid());
        live.Add(1);
        for (int i = 0; i < 5000; i++)
        {
            int pid = pids.AllocPid();
            Assert.InRange(pid, 2, PidAllocator.PID_MAX);
            Assert.True(live.Add(pid), $"pid {pid} handed out twice");
        }
    }

    [Fact]
    public void A_pid_in_use_is_never_handed_out()
    {
        // Everything but three pids is in use: allocpid must find exactly those.
        var free = new HashSet<int> { 2, 50_000, PidAllocator.PID_MAX };
        var pids = new PidAllocator(new Random(7), pid => !free.Contains(pid));
        pids.AllocPid();
        var got = new HashSet<int>();
        for (int i = 0; i < 3; i++)
        {
            int pid = pids.AllocPid();
            got.Add(pid);
            free.Remove(pid);
        }
        Assert.Equal(new HashSet<int> { 2, 50_000, PidAllocator.PID_MAX }, got);
    }

    [Fact]
    public void A_freed_pid_is_held_back_for_the_next_128_frees()
    {
        var pids = new PidAllocator(new Random(3), _ => false);
        pids.FreePid(4242);
        Assert.True(pids.IsPidTaken(4242));
        for (int i = 0; i < 127; i++) pids.FreePid(10_000 + i);
        Assert.True(pids.IsPidTaken(4242));
        pids.FreePid(20_000);                         // the 129th free pushes 4242 out of oldpids[]
        Assert.False(pids.IsPidTaken(4242));
    }

    [Fact]
    public void The_same_seed_gives_the_same_pids()
    {
        static int[] Run(int seed)
        {
            var pids = new PidAllocator(new Random(seed), _ => false);
            return Enumerable.Range(0, 20).Select(_ => pids.AllocPid()).ToArray();
        }
        Assert.Equal(Run(11), Run(11));
        Assert.NotEqual(Run(11), Run(12));
    }
}
