namespace MiniBSD.Kernel.Uvm;

/// <summary>
/// What the page allocator's software costs, in cycles, from the structure of OpenBSD's uvm_pmemrange.c and
/// uvm_percpu.h (revisions of 2024-2026). The unit is one visit of a red-black tree node (a compare and a pointer
/// load on a tree the allocator keeps warm: <see cref="NodeVisit"/>, an estimate); the counts of visits are the code's.
/// A tree of s free segments is log2(s) + 1 levels deep.
/// </summary>
/// <param name="NodeVisit">One RB-tree node visited: about 12 cycles (an estimate: an L1/L2 hit and a compare).</param>
/// <param name="MutexPair">mtx_enter and mtx_leave uncontended: two atomic read-modify-writes of the lock word, about
/// 25 cycles each on a current core (an estimate).</param>
/// <param name="PerPage">Per page in uvm_pmr_freepageq before the lock (PQ_FREE set, PG_ZERO cleared) and in
/// uvm_pmr_getpages after it (flags, the page's fpgsz): about 8 cycles (stores to the vm_page).</param>
/// <param name="PerRun">Per run of physically consecutive pages inserted, besides its tree visits: the
/// atomic_add_int(&amp;uvmexp.free, n), uvm_wakeup_pla's walk of an empty list, the list walk of
/// uvm_pmr_findnextsegment: about 30 cycles.</param>
/// <param name="CacheOp">uvm_pmr_cache_put or _get without the lock: splbio, a magazine slot, splx: about 10 cycles.</param>
public sealed record PmrCosts(long NodeVisit = 12, long MutexPair = 50, long PerPage = 8, long PerRun = 30, long CacheOp = 10)
{
    /// <summary>Levels of a tree of <paramref name="segments"/> free runs.</summary>
    public static int Depth(long segments) => 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)Math.Max(1, segments));

    /// <summary>
    /// uvm_pmr_freepageq under fpageqlock for <paramref name="pages"/> pages in <paramref name="runs"/> runs: per run
    /// uvm_pmemrange_find (the small tree of ranges: 2 visits), uvm_pmr_insert_addr's RBT_NFIND (a descent) and
    /// RBT_PREV (about 2: amortized constant), the RBT_INSERT into addr (a descent and about 3 for the rebalance) and
    /// into size[DIRTY] (the same; a 1-page run's TAILQ insert is cheaper, but a merge with a neighbour removes and
    /// re-inserts instead: one price for all cases), then the wakeups once at the end.
    /// </summary>
    public long FreePageqLocked(int pages, int runs, long segments)
    {
        int d = Depth(segments);
        return MutexPair + runs * (PerRun + NodeVisit * (2 + d + 2 + 2 * (d + 3))) + NodeVisit * 2;
    }

    /// <summary>An ablation: the free path costs nothing (the model before issue #12), its lock never held.</summary>
    public static PmrCosts Free => new(0, 0, 0, 0, 0);

    /// <summary>Whether any cost is charged.</summary>
    public bool Charged => NodeVisit + MutexPair + PerPage + PerRun + CacheOp > 0;

    /// <summary>The part of uvm_pmr_freepageq before the lock: each page's flags.</summary>
    public long FreePageqUnlocked(int pages) => pages * PerPage;

    /// <summary>
    /// uvm_pmr_getpages of <paramref name="pages"/> pages under fpageqlock: the use-sorted range list, a size-tree
    /// search for a run that fits (a descent), the run taken out of addr and size (two removals: a descent and about 3
    /// each) and the rest put back (one insert), and each page set up.
    /// </summary>
    public long GetPagesLocked(int pages, long segments)
    {
        int d = Depth(segments);
        return MutexPair + NodeVisit * (2 + d + 2 * (d + 3) + (d + 3)) + pages * PerPage;
    }
}
