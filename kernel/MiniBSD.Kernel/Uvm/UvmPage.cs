using MiniBSD.Hal;
using MiniBSD.Hal.Memory;
using MiniBSD.Kernel.Kern;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Uvm;

/// <summary>What a physical page is used for, counted by <see cref="UvmPage"/>.</summary>
public enum PageUse : byte
{
    Free = 0,
    PageTable,
    Anon,
    Text,
    Kernel,
}

/// <summary>
/// The physical page allocator (OpenBSD uvm_page.c: uvm_pagealloc, uvm_pagefree) over the RAM that locore left
/// free. Pages come out of the free runs as pmemrange hands them out (the smallest run that fits, from its start:
/// lowest address first on a fresh machine) and go back merged with their free neighbours, so the same run hands out
/// the same frames and freed memory stays as contiguous as the frees make it. A page is zero-filled when asked (charged as a frame zeroing on the CPU that asks). Freeing a page that a
/// page table still maps panics (the pmap keeps the count, as OpenBSD's pv lists would tell); freeing one tells the
/// TLB coherence checker, which reports it if a usable TLB entry still maps the frame (DESIGN.md rule 2).
/// What freeing and allocating cost is OpenBSD's free path (UvmPage.Pmemrange.cs): the pmemrange trees under
/// uvm.fpageqlock, behind each CPU's two magazines of 8 pages since 2024 (<see cref="PerCpuCache"/>).
/// </summary>
public sealed partial class UvmPage
{
    private readonly Machine _machine;
    private readonly ulong _first;
    private readonly PageUse[] _use;
    private readonly long[] _counts = new long[Enum.GetValues<PageUse>().Length];
    private readonly int[] _mappings;

    /// <summary>Manages the frames of [<paramref name="first"/>, end of RAM).</summary>
    public UvmPage(Machine machine, ulong first)
    {
        Kassert(first % PhysicalMemory.FrameSize == 0 && machine.Memory.Contains(first), "UvmPage: first free frame 0x{0:X} is not a frame in RAM", first);
        _machine = machine;
        _first = first;
        int frames = (int)((machine.Memory.End - first) / PhysicalMemory.FrameSize);
        _use = new PageUse[frames];
        _mappings = new int[frames];
        _runs = new FreeRuns(frames);
        _counts[(int)PageUse.Free] = frames;
        _inPmr = new bool[frames];
        Array.Fill(_inPmr, true);
        _pagesInTrees = frames;
        Segments = frames > 0 ? 1 : 0;
        FpageqLock = new Kern.KernelMutex("uvm.fpageqlock", machine);
        _caches = machine.Cpus.Select(_ => new PmrCache()).ToArray();
    }

    /// <summary>Frames this allocator manages.</summary>
    public int TotalPages => _use.Length;

    /// <summary>How many pages are in each use now.</summary>
    public long Count(PageUse use) => _counts[(int)use];

    /// <summary>
    /// uvm_pagealloc: takes a free page for <paramref name="use"/>, zeroed when <paramref name="zero"/> (costed on
    /// <paramref name="cpu"/>). Returns false when no page is free; the caller turns that into ENOMEM or a wait.
    /// </summary>
    /// <summary>Fault injection for the kernel's allocation sites (the page allocator asks it for each page).</summary>
    public FailPoints FailPoints { get; set; } = new();

    public bool TryAlloc(Cpu cpu, PageUse use, bool zero, out ulong pa)
    {
        Kassert(use != PageUse.Free, "uvm_pagealloc: cannot allocate a page for 'Free'");
        pa = 0;
        if (FailPoints.Fail(use switch { PageUse.PageTable => FailSite.PagePageTable, PageUse.Text => FailSite.PageText, _ => FailSite.PageAnon })) return false;
        int index = PerCpuCache ? UvmPmrCacheGet(cpu) : UvmPmrGetpages1(cpu);
        if (index < 0) return false;
        _use[index] = use;
        _counts[(int)PageUse.Free]--;
        _counts[(int)use]++;
        pa = _first + (ulong)index * PhysicalMemory.FrameSize;
        if (zero) cpu.ZeroFrame(pa);
        return true;
    }

    /// <summary>Pages freed so far (uvmexp's page frees).</summary>
    public long Frees { get; private set; }

    /// <summary>
    /// uvm_pagefree: returns a page, on <paramref name="cpu"/>'s magazine (uvm_pmr_cache_put) or, without the cache,
    /// straight into pmemrange (uvm_pmr_freepages of one page). Freeing a free page, or one this allocator never gave
    /// out, panics.
    /// </summary>
    public void Free(Cpu cpu, ulong pa)
    {
        int index = IndexOf(pa, "uvm_pagefree");
        Kassert(_use[index] != PageUse.Free, "uvm_pagefree: page 0x{0:X} is already free", pa);
        Kassert(_mappings[index] == 0, "uvm_pagefree: page 0x{0:X} is still mapped by {1} page table entries", pa, _mappings[index]);
        _machine.Checker.FrameReleased(pa);
        _counts[(int)_use[index]]--;
        _counts[(int)PageUse.Free]++;
        _use[index] = PageUse.Free;
        Frees++;
        if (PerCpuCache) UvmPmrCachePut(cpu, index);
        else UvmPmrFreepageq(cpu, [index]);
    }

    /// <summary>How many pmap entries map the page (OpenBSD keeps them on the page's pv list).</summary>
    public int MappingCount(ulong pa) => _mappings[IndexOf(pa, "UvmPage.MappingCount")];

    /// <summary>pmap_enter made an entry for the page; pages outside the managed range are not counted.</summary>
    internal void Mapped(ulong pa)
    {
        if (IsManaged(pa)) _mappings[(int)((pa - _first) / PhysicalMemory.FrameSize)]++;
    }

    /// <summary>pmap_remove (or a replacing pmap_enter) dropped an entry for the page.</summary>
    internal void Unmapped(ulong pa)
    {
        if (!IsManaged(pa)) return;
        int index = (int)((pa - _first) / PhysicalMemory.FrameSize);
        Kassert(_mappings[index] > 0, "pmap: page 0x{0:X} unmapped more often than mapped", pa);
        _mappings[index]--;
    }

    private bool IsManaged(ulong pa) => pa >= _first && pa < _machine.Memory.End;

    /// <summary>What the page at <paramref name="pa"/> is used for.</summary>
    public PageUse UseOf(ulong pa) => _use[IndexOf(pa, "UvmPage.UseOf")];

    /// <summary>A line for the boot summary and tests: pages by use.</summary>
    public string Format() =>
        string.Join(", ", Enum.GetValues<PageUse>().Select(u => $"{u.ToString().ToLowerInvariant()} {Count(u)}"));

    private int IndexOf(ulong pa, string who)
    {
        Kassert(pa >= _first && pa < _machine.Memory.End && pa % PhysicalMemory.FrameSize == 0, "{0}: 0x{1:X} is not a managed page", who, pa);
        return (int)((pa - _first) / PhysicalMemory.FrameSize);
    }
}
