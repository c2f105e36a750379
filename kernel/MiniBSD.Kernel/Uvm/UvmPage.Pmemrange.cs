using MiniBSD.Hal;

namespace MiniBSD.Kernel.Uvm;

/// <summary>
/// OpenBSD's free path (uvm_pmemrange.c 1.82, uvm_percpu.h 1.3): the free pages are runs in the pmemrange trees,
/// reached under uvm.fpageqlock, which every free into them and every allocation from them takes. Since 2024 each CPU
/// keeps two magazines of 8 pages in front (uvm_pmr_cache): a free goes into the active magazine, and when it is full
/// the other one is flushed into the trees in one hold (uvm_pmr_cache_free: up to 8 inserts) and the two swap; an
/// allocation pops a magazine and, with both empty, refills 8 pages in one hold (uvm_pmr_cache_alloc). Without the
/// cache (the kernel before it) each free and each allocation takes the lock. Which frames are where is real (the
/// frames in a magazine are free to the leak check but not in the trees); the cycles are <see cref="Costs"/>'s,
/// charged to the CPU that frees or allocates, with its spins on the lock.
/// </summary>
public sealed partial class UvmPage
{
    /// <summary>UVM_PMR_CACHEMAGSZ: pages in a magazine.</summary>
    public const int MagazineSize = 8;

    private sealed class PmrCache
    {
        public readonly int[][] Mags = [new int[MagazineSize], new int[MagazineSize]];
        public readonly int[] Count = new int[2];
        public int Active;
    }

    private readonly PmrCache[] _caches;
    private readonly bool[] _inPmr;   // the frame is a free page in the trees (not in use, not in a magazine)
    private readonly FreeRuns _runs;
    private int _pagesInTrees;

    /// <summary>The per-CPU page caches of 2024 (true) or the kernel before them (false).</summary>
    public bool PerCpuCache { get; set; }

    /// <summary>What freeing and allocating cost (cycles).</summary>
    public PmrCosts Costs { get; set; } = new();

    /// <summary>uvm.fpageqlock.</summary>
    public Kern.KernelMutex FpageqLock { get; }

    /// <summary>Free runs in the trees now (physically consecutive free frames count as one).</summary>
    public long Segments { get; private set; }

    /// <summary>uvmexp.pcphit / pcpmiss: allocations the magazines served, and those that refilled them.</summary>
    public long CacheHits { get; private set; }
    public long CacheMisses { get; private set; }

    /// <summary>Runs inserted into the trees, over every free.</summary>
    public long RunsFreed { get; private set; }

    /// <summary>uvm_pmr_cache_get: a page from a magazine, refilled with 8 from the trees when both are empty; -1 if none is free.</summary>
    private int UvmPmrCacheGet(Cpu cpu)
    {
        var c = _caches[cpu.Id];
        cpu.AdvanceClock(Costs.CacheOp);
        if (c.Count[c.Active] == 0) c.Active ^= 1;
        if (c.Count[c.Active] == 0)
        {
            CacheMisses++;
            int got = TakeFromTrees(cpu, c.Mags[c.Active], MagazineSize);   // uvm_pmr_cache_alloc: uvm_pmr_getpages(8, ...)
            if (got == 0) return -1;
            c.Count[c.Active] = got;
        }
        else CacheHits++;
        return c.Mags[c.Active][--c.Count[c.Active]];
    }

    /// <summary>uvm_pmr_cache_put: into the active magazine; when it is full, the other is flushed into the trees and they swap.</summary>
    private void UvmPmrCachePut(Cpu cpu, int index)
    {
        var c = _caches[cpu.Id];
        cpu.AdvanceClock(Costs.CacheOp);
        if (c.Count[c.Active] == MagazineSize)
        {
            int other = c.Active ^ 1;
            if (c.Count[other] > 0) UvmPmrFreepageq(cpu, c.Mags[other].AsSpan(0, c.Count[other]));   // uvm_pmr_cache_free
            c.Count[other] = 0;
            c.Active = other;
        }
        c.Mags[c.Active][c.Count[c.Active]++] = index;
    }

    /// <summary>Without the cache: uvm_pmr_getpages of one page under the lock; -1 if none is free.</summary>
    private int UvmPmrGetpages1(Cpu cpu)
    {
        Span<int> one = stackalloc int[1];
        return TakeFromTrees(cpu, one, 1) == 1 ? one[0] : -1;
    }

    /// <summary>
    /// uvm_pmr_getpages: up to <paramref name="want"/> pages out of the trees in one hold of fpageqlock. As
    /// uvm_pmr_nfindsz looks in the size tree for the smallest range that holds them all, the pages come from the first
    /// run of the smallest size class that fits (a single page from the single pages first), from its start; when no
    /// run is big enough they come from the biggest runs there are, several segments.
    /// </summary>
    private int TakeFromTrees(Cpu cpu, Span<int> into, int want)
    {
        int take = Math.Min(want, _pagesInTrees);
        if (take == 0) return 0;
        if (Costs.Charged) FpageqLock.Hold(cpu, Costs.GetPagesLocked(take, Segments));
        int got = 0;
        while (got < take && _runs.TakeFitting(take - got, out int start, out int length))
        {
            for (int i = 0; i < length; i++)
            {
                into[got++] = start + i;
                SetInTrees(start + i, false);
            }
        }
        return got;
    }

    /// <summary>
    /// uvm_pmr_freepageq: the pages' flags without the lock, then under fpageqlock one insert a run of physically
    /// consecutive pages (merged with the free runs beside it, as uvm_pmr_insert merges with its neighbours).
    /// </summary>
    private void UvmPmrFreepageq(Cpu cpu, ReadOnlySpan<int> pages)
    {
        Span<int> sorted = stackalloc int[pages.Length];
        pages.CopyTo(sorted);
        sorted.Sort();
        int runs = 1;
        for (int i = 1; i < sorted.Length; i++) if (sorted[i] != sorted[i - 1] + 1) runs++;
        cpu.AdvanceClock(Costs.FreePageqUnlocked(pages.Length));
        if (Costs.Charged) FpageqLock.Hold(cpu, Costs.FreePageqLocked(pages.Length, runs, Segments));
        RunsFreed += runs;
        foreach (int index in sorted)
        {
            _runs.Free(index, index > 0 && _inPmr[index - 1], index + 1 < _inPmr.Length && _inPmr[index + 1]);
            SetInTrees(index, true);
        }
    }

    /// <summary>A frame joins or leaves the trees: the count of free runs changes as the neighbours say.</summary>
    private void SetInTrees(int index, bool free)
    {
        bool left = index > 0 && _inPmr[index - 1], right = index + 1 < _inPmr.Length && _inPmr[index + 1];
        int neighbours = (left ? 1 : 0) + (right ? 1 : 0);
        Segments += free ? 1 - neighbours : neighbours - 1;
        _pagesInTrees += free ? 1 : -1;
        _inPmr[index] = free;
    }
}
