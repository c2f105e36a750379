using MiniBSD.Hal;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Tests.Kernel;

/// <summary>
/// The free path of uvm_pmemrange.c and uvm_percpu.h at small scale: the magazines' flush and refill, one hold of
/// uvm.fpageqlock per batch (per page without the cache), the hold's price from the tree's depth, the spin of a CPU
/// that finds the lock held, and the count of free runs.
/// </summary>
public sealed class FreePathTests
{
    private static (Machine M, UvmPage Pages) World(bool cache, int cpus = 2)
    {
        var m = new Machine(new MachineConfig { Cpus = cpus, MemoryBytes = 16 * MachineConfig.MiB });
        var pages = new UvmPage(m, m.Memory.Base + 0x10_0000) { PerCpuCache = cache };
        return (m, pages);
    }

    private static ulong[] Alloc(UvmPage pages, Cpu cpu, int n) =>
        Enumerable.Range(0, n).Select(_ => pages.TryAlloc(cpu, PageUse.Anon, zero: false, out ulong pa) ? pa : throw new InvalidOperationException()).ToArray();

    [Fact]
    public void With_the_cache_an_allocation_refills_eight_pages_in_one_hold_and_frees_flush_eight_in_one()
    {
        var (m, pages) = World(cache: true);
        var cpu = m.Cpu(0);
        var got = Alloc(pages, cpu, 24);
        Assert.Equal((3L, 3L, 21L), (pages.FpageqLock.Acquisitions, pages.CacheMisses, pages.CacheHits));   // a refill of 8 each 8
        long holds = pages.FpageqLock.Acquisitions;
        foreach (var pa in got[..16]) pages.Free(cpu, pa);          // both magazines fill: no lock
        Assert.Equal(holds, pages.FpageqLock.Acquisitions);
        long before = cpu.Clock, segments = pages.Segments;
        pages.Free(cpu, got[16]);                                   // the active one is full: the other is flushed, 8 pages
        Assert.Equal(holds + 1, pages.FpageqLock.Acquisitions);
        var c = pages.Costs;
        int runs = 1;   // got[0..8) were handed out as one refill of consecutive frames
        Assert.Equal(runs, pages.RunsFreed);
        Assert.Equal(c.CacheOp + c.FreePageqUnlocked(8) + c.FreePageqLocked(8, runs, segments), cpu.Clock - before);
        Assert.Equal(pages.TotalPages - 24 + 17, pages.Count(PageUse.Free));   // 9 sit in magazines: free all the same
    }

    [Fact]
    public void Without_the_cache_every_allocation_and_every_free_takes_the_lock()
    {
        var (m, pages) = World(cache: false);
        var cpu = m.Cpu(0);
        var got = Alloc(pages, cpu, 10);
        Assert.Equal(10, pages.FpageqLock.Acquisitions);
        foreach (var pa in got) pages.Free(cpu, pa);
        Assert.Equal(20, pages.FpageqLock.Acquisitions);
        Assert.Equal(10, pages.RunsFreed);
        Assert.Equal(1, pages.Segments);   // every frame back: one free run again
        Assert.Equal((0L, 0L), (pages.CacheHits, pages.CacheMisses));
    }

    [Fact]
    public void The_hold_grows_with_the_depth_of_the_trees_and_each_run_pays_its_inserts()
    {
        var c = new PmrCosts();
        Assert.Equal((1, 1, 2, 4, 11), (PmrCosts.Depth(0), PmrCosts.Depth(1), PmrCosts.Depth(2), PmrCosts.Depth(8), PmrCosts.Depth(1024)));
        // One run into trees of one segment (depth 1): lock pair, the run's walk (2 + 1 + 2 + 2 x 4 visits) and the wakeups.
        Assert.Equal(c.MutexPair + c.PerRun + 13 * c.NodeVisit + 2 * c.NodeVisit, c.FreePageqLocked(1, 1, 1));
        Assert.True(c.FreePageqLocked(8, 8, 1024) > 7 * c.FreePageqLocked(8, 1, 1024));
        Assert.Equal(0, PmrCosts.Free.FreePageqLocked(8, 8, 1024));
    }

    [Fact]
    public void Freed_frames_apart_are_separate_runs_and_neighbours_merge()
    {
        var (m, pages) = World(cache: false);
        var cpu = m.Cpu(0);
        var got = Alloc(pages, cpu, 5);                 // frames 0..4: the rest of RAM is one run after them
        Assert.Equal(1, pages.Segments);
        pages.Free(cpu, got[1]);
        pages.Free(cpu, got[3]);
        Assert.Equal(3, pages.Segments);                // {1}, {3}, {5..}
        pages.Free(cpu, got[2]);
        Assert.Equal(2, pages.Segments);                // {1..3}, {5..}
        pages.Free(cpu, got[4]);
        pages.Free(cpu, got[0]);
        Assert.Equal(1, pages.Segments);
    }

    [Fact]
    public void A_cpu_that_finds_the_lock_held_spins_until_the_holder_is_done()
    {
        var (m, pages) = World(cache: false);
        var (a, b) = (m.Cpu(0), m.Cpu(1));
        var got = Alloc(pages, a, 2);
        b.AdvanceClock(a.Clock - b.Clock);              // both at the same time
        long start = a.Clock;
        pages.Free(a, got[0]);                          // a holds the lock first
        long aHold = pages.FpageqLock.HoldCycles;
        pages.Free(b, got[1]);
        long unlocked = pages.Costs.FreePageqUnlocked(1);
        long aRelease = start + unlocked + pages.Costs.FreePageqLocked(1, 1, 1);
        Assert.Equal(1, pages.FpageqLock.Contended);
        Assert.Equal(aRelease - (start + unlocked), pages.FpageqLock.SpinCycles);   // b asked when a had just taken it
        Assert.True(b.Clock > a.Clock);
        Assert.True(aHold > 0);
    }
}
