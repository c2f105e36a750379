using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Uvm;

/// <summary>
/// The free runs of physical pages, as pmemrange's two trees keep them (uvm_pmemrange.c: by address, to merge a freed
/// page with its neighbours, and by size, to find a range that fits). MiniBSD keeps the same information in arrays
/// over the frames: each run's length at its first frame and its start at its last (the address tree's neighbour
/// lookups), and the runs on lists by size class (runs of 2^k to 2^(k+1)-1 pages; the size tree's search for the
/// smallest range that fits, by class). Every operation is O(1) or O(classes); nothing is allocated.
/// </summary>
internal sealed class FreeRuns
{
    private const int None = -1;
    private readonly int[] _length;   // at a run's first frame: its length (0 elsewhere)
    private readonly int[] _startOf;  // at a run's last frame: its first
    private readonly int[] _next, _prev;
    private readonly int[] _heads;
    private readonly int _frames;

    public FreeRuns(int frames)
    {
        _frames = frames;
        _length = new int[frames];
        _startOf = new int[frames];
        _next = new int[frames];
        _prev = new int[frames];
        _heads = new int[33];
        Array.Fill(_heads, None);
        if (frames > 0) Insert(0, frames);
    }

    /// <summary>The size class of a run of <paramref name="length"/> pages: floor(log2).</summary>
    private static int Class(int length) => 31 - System.Numerics.BitOperations.LeadingZeroCount((uint)length);

    private void Insert(int start, int length)
    {
        int c = Class(length);
        _length[start] = length;
        _startOf[start + length - 1] = start;
        (_prev[start], _next[start]) = (None, _heads[c]);
        if (_heads[c] != None) _prev[_heads[c]] = start;
        _heads[c] = start;
    }

    private void Remove(int start)
    {
        int c = Class(_length[start]);
        if (_prev[start] != None) _next[_prev[start]] = _next[start];
        else _heads[c] = _next[start];
        if (_next[start] != None) _prev[_next[start]] = _prev[start];
        _length[start] = 0;
    }

    /// <summary>
    /// Takes up to <paramref name="want"/> pages from one run, from its start: the first run of the smallest class
    /// whose runs all hold <paramref name="want"/>, else one of that class that holds it, else the biggest run there
    /// is (then fewer pages). False when no page is free.
    /// </summary>
    public bool TakeFitting(int want, out int start, out int length)
    {
        start = None;
        int exact = Class(want);
        int c = want == 1 << exact ? exact : exact + 1;   // every run of class c holds want pages
        for (; c < _heads.Length && start == None; c++) start = _heads[c];
        if (start == None)
            for (int r = _heads[exact]; r != None && start == None; r = _next[r]) if (_length[r] >= want) start = r;
        for (c = exact; start == None && c >= 0; c--) start = _heads[c];   // nothing fits: the biggest there is
        length = 0;
        if (start == None) return false;
        int run = _length[start];
        length = Math.Min(want, run);
        Remove(start);
        if (run > length) Insert(start + length, run - length);
        return true;
    }

    /// <summary>A page goes back: merged with the free runs that end just before it and start just after it.</summary>
    public void Free(int page, bool leftFree, bool rightFree)
    {
        Kassert(page >= 0 && page < _frames && _length[page] == 0, "pmemrange: page {0} freed twice", page);
        int start = page, end = page + 1;
        if (leftFree)
        {
            start = _startOf[page - 1];
            Remove(start);
        }
        if (rightFree)
        {
            int right = _length[page + 1];
            Remove(page + 1);
            end = page + 1 + right;
        }
        Insert(start, end - start);
    }
}
