using CsCheck;
using MiniBSD.Hal;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Tests.Kernel;

/// <summary>
/// pmemrange's free runs (FreeRuns behind UvmPage): an allocation takes the smallest run that holds it, from its start,
/// so a refill of 8 is 8 consecutive frames while such a run exists; a freed page merges with its free neighbours, so
/// the runs stay what the frees make them. Random traffic keeps the count of runs equal to the maximal runs of free
/// frames, and freeing everything leaves one run.
/// </summary>
public sealed class FreeRunsTests
{
    private static (Machine M, UvmPage Pages) World(bool cache)
    {
        var m = new Machine(new MachineConfig { Cpus = 1, MemoryBytes = 4 * MachineConfig.MiB });
        return (m, new UvmPage(m, m.Memory.Base + 0x10_0000) { PerCpuCache = cache });
    }

    private static ulong Alloc(UvmPage pages, Cpu cpu) =>
        pages.TryAlloc(cpu, PageUse.Anon, zero: false, out ulong pa) ? pa : throw new InvalidOperationException("out of pages");

    [Fact]
    public void A_single_page_comes_from_a_hole_before_a_big_run_is_cut()
    {
        var (m, pages) = World(cache: false);
        var cpu = m.Cpu(0);
        var a = Enumerable.Range(0, 4).Select(_ => Alloc(pages, cpu)).ToArray();   // lowest first, consecutive
        Assert.Equal(Enumerable.Range(0, 4).Select(i => a[0] + (ulong)i * 4096), a);
        pages.Free(cpu, a[1]);                                                      // a one-page hole
        Assert.Equal(2, pages.Segments);
        Assert.Equal(a[1], Alloc(pages, cpu));                                      // the single page is taken first
        Assert.Equal(1, pages.Segments);
        foreach (var pa in a) pages.Free(cpu, pa);
        Assert.Equal(1, pages.Segments);                                            // merged back into one run
    }

    [Fact]
    public void A_refill_of_eight_is_eight_consecutive_frames_even_after_scattered_frees()
    {
        var m = new Machine(new MachineConfig { Cpus = 2, MemoryBytes = 4 * MachineConfig.MiB });
        var pages = new UvmPage(m, m.Memory.Base + 0x10_0000) { PerCpuCache = true };
        var held = Enumerable.Range(0, 96).Select(_ => Alloc(pages, m.Cpu(0))).ToList();
        for (int i = 0; i < held.Count; i += 3) pages.Free(m.Cpu(0), held[i]);   // one-page holes, flushed into the trees
        Assert.True(pages.Segments > 8, $"{pages.Segments} runs");
        long misses = pages.CacheMisses;
        var refill = Enumerable.Range(0, 8).Select(_ => Alloc(pages, m.Cpu(1))).Order().ToArray();   // cpu1's magazines are empty
        Assert.Equal(misses + 1, pages.CacheMisses);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => refill[0] + (ulong)i * 4096), refill);   // from a run, not the holes
    }

    [Fact]
    public void Random_traffic_keeps_the_runs_exact_and_everything_freed_is_one_run()
    {
        Gen.Select(Gen.Bool, Gen.Int[0, 1_000].Array[1, 400]).Sample((cache, ops) =>
        {
            var (m, pages) = World(cache);
            var cpu = m.Cpu(0);
            var held = new List<ulong>();
            foreach (int op in ops)
            {
                if (op % 3 != 0 || held.Count == 0) held.Add(Alloc(pages, cpu));
                else
                {
                    int i = op % held.Count;
                    pages.Free(cpu, held[i]);
                    held.RemoveAt(i);
                }
                Assert.Equal(pages.TotalPages - held.Count, pages.Count(PageUse.Free));
            }
            foreach (var pa in held) pages.Free(cpu, pa);
            if (!cache) Assert.Equal(1, pages.Segments);   // (with the cache, up to 16 pages wait in magazines)
        });
    }
}
