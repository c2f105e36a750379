namespace MiniBSD.Kernel.Kern;

/// <summary>
/// The kernel's allocation sites that fault injection can make fail (OpenBSD has no such framework; Linux's
/// fault-injection, failslab and fail_page_alloc, is the model). Each answers as the kernel would when the resource
/// is really exhausted: ENOMEM, EAGAIN, EMFILE or ENFILE to the system call, or a killed process for a fault.
/// </summary>
public enum FailSite
{
    /// <summary>uvm_pagealloc of an anonymous page (zero-fill and copy-on-write faults, fork's and exec's copies).</summary>
    PageAnon,
    /// <summary>uvm_pagealloc of a page-table page (pmap_create's L0, pmap_enter's L1-L3 tables).</summary>
    PagePageTable,
    /// <summary>uvm_pagealloc of a page of a program's text or data object, at its first exec.</summary>
    PageText,
    /// <summary>process_new's slot: fork1's check for a free process slot (EAGAIN, as at maxproc).</summary>
    ProcessNew,
    /// <summary>fdalloc: a descriptor slot (EMFILE).</summary>
    Fdalloc,
    /// <summary>falloc of a pipe's two files and its buffer (ENFILE).</summary>
    Pipe,
    /// <summary>pmap_allocate_asid: no ASID free in this generation, so a rollover (an ASID allocator never fails; this
    /// makes it roll over now, invalidating every TLB, with whatever processes are alive).</summary>
    Asid,
}

/// <summary>
/// Fault injection: for each <see cref="FailSite"/>, fail its N-th call (<see cref="FailAt"/>) or each call with a
/// probability drawn from a generator seeded by the run's seed and the site (<see cref="FailRate"/>). Deterministic:
/// the same options and seed fail the same calls. One per kernel; nothing armed costs a counter and a compare a call.
/// </summary>
/// <summary>A part of the kernel with allocation sites that fault injection can fail (InitMain arms it).</summary>
public interface IFailable
{
    FailPoints FailPoints { get; set; }
}

public sealed class FailPoints
{
    private static readonly int Count = Enum.GetValues<FailSite>().Length;
    private readonly long[] _calls = new long[Count], _failAt = new long[Count], _failed = new long[Count];
    private readonly double[] _rate = new double[Count];
    private readonly Random?[] _random = new Random?[Count];
    private readonly int _seed;

    public FailPoints(int seed = 0) => _seed = seed;

    /// <summary>Fail the <paramref name="n"/>-th call of <paramref name="site"/> (counting from 1).</summary>
    public void FailAt(FailSite site, long n) => _failAt[(int)site] = n;

    /// <summary>Fail each call of <paramref name="site"/> with probability <paramref name="p"/>.</summary>
    public void FailRate(FailSite site, double p)
    {
        _rate[(int)site] = p;
        _random[(int)site] = new Random(HashCode.Combine(_seed, (int)site) & int.MaxValue);
    }

    /// <summary>
    /// Calls made for a process the kernel must not lose: init. OpenBSD panics when init dies ("init died"), so a
    /// failure that kills init tests init, not the kernel; such a call is not counted, and the N-th call is the N-th
    /// made for anybody else.
    /// </summary>
    public Func<bool>? Exempt { get; set; }

    /// <summary>Asked by the site before it allocates: true when this call must fail.</summary>
    public bool Fail(FailSite site)
    {
        int i = (int)site;
        if (_failAt[i] == 0 && _rate[i] == 0) return false;
        if (Exempt?.Invoke() == true) return false;
        long n = ++_calls[i];
        if (n != _failAt[i] && (_rate[i] == 0 || _random[i]!.NextDouble() >= _rate[i])) return false;
        _failed[i]++;
        return true;
    }

    /// <summary>How many times <paramref name="site"/> was asked while armed (not for init), and how many of those failed.</summary>
    public (long Calls, long Failed) Of(FailSite site) => (_calls[(int)site], _failed[(int)site]);

    /// <summary>Failures injected in all.</summary>
    public long Injected => _failed.Sum();
}

/// <summary>The sites' names on the command line: OpenBSD's function names.</summary>
public static class FailSiteNames
{
    public static IReadOnlyList<FailSite> All { get; } = Enum.GetValues<FailSite>();

    public static string Name(this FailSite site) => site switch
    {
        FailSite.PageAnon => "uvm_pagealloc.anon",
        FailSite.PagePageTable => "uvm_pagealloc.pt",
        FailSite.PageText => "uvm_pagealloc.text",
        FailSite.ProcessNew => "process_new",
        FailSite.Fdalloc => "fdalloc",
        FailSite.Pipe => "pipe",
        _ => "pmap_allocate_asid",
    };

    public static bool TryParse(string name, out FailSite site)
    {
        foreach (var s in All)
            if (s.Name() == name) { site = s; return true; }
        site = default;
        return false;
    }
}
