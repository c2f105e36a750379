using System.Runtime.CompilerServices;
using MiniBSD.Hal.Mmu;

namespace MiniBSD.Hal.Tlb;

/// <summary>
/// One CPU's TLB: leaf translations tagged with an ASID (or global), in three banks by size.
/// Faulting walks are never inserted. There is no walk cache, so the leaf-only (*L*) TLBI forms remove
/// exactly what their full forms remove, which the architecture permits (removing more is always allowed).
/// </summary>
public sealed partial class Tlb
{
    private readonly TlbBank _pages;
    private readonly TlbBank _blocks2M;
    private readonly TlbBank _blocks1G;

    public Tlb(TlbGeometry geometry)
    {
        geometry.Validate();
        Geometry = geometry;
        _pages = new TlbBank(3, geometry.PageSets, geometry.PageWays);
        _blocks2M = new TlbBank(2, geometry.BlockSets2M, geometry.BlockWays2M);
        _blocks1G = new TlbBank(1, geometry.BlockSets1G, geometry.BlockWays1G);
    }

    public TlbGeometry Geometry { get; }
    public int Count => _pages.Valid + _blocks2M.Valid + _blocks1G.Valid;


    /// <summary>Finds the entry translating VA[55:0] under <paramref name="asid"/>; false on a miss.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryLookup(ulong va56, ushort asid, out TlbEntry entry)
    {
        int i = _pages.Find(va56, asid);
        if (i >= 0) { entry = _pages[i]; return true; }
        return TryLookupBlocks(va56, asid, out entry);
    }

    private bool TryLookupBlocks(ulong va56, ushort asid, out TlbEntry entry)
    {
        int i = _blocks2M.Find(va56, asid);
        if (i >= 0) { entry = _blocks2M[i]; return true; }
        i = _blocks1G.Find(va56, asid);
        if (i >= 0) { entry = _blocks1G[i]; return true; }
        entry = default;
        return false;
    }

    /// <summary>
    /// Caches a successful walk of VA[55:0] made under <paramref name="asid"/>. Returns the entry it replaced (an
    /// eviction, or an older copy of the same translation), or an empty entry.
    /// </summary>
    public TlbEntry Insert(ulong va56, ushort asid, in WalkResult walk)
    {
        var entry = new TlbEntry
        {
            Key = (va56 & ~((1UL << walk.Shift) - 1)) | 1,
            OutputBase = walk.OutputBase,
            Descriptor = walk.Descriptor,
            DescriptorAddress = walk.DescriptorAddress,
            Asid = asid,
            Global = !walk.NotGlobal,
            Level = (byte)walk.Level,
            Attr = walk.Attr,
            Sh = (byte)walk.Sh,
            Permissions = walk.Permissions,
            DirtyPending = walk.DirtyPending,
        };
        return BankFor(walk.Level).Insert(entry);
    }

    /// <summary>
    /// Performs a TLBI on this TLB (reference §4.2). <paramref name="xt"/> is the operand: ASID in [63:48]
    /// (only [55:48] with 8-bit ASIDs), VA[55:12] in [43:0]; the TTL hint [47:44] is RES0 here (no FEAT_TTL).
    /// Returns how many entries were removed and whether a block was among them.
    /// </summary>
    public InvalidateResult Invalidate(TlbiOp op, ulong xt, int asidBits)
    {
        ushort asid = (ushort)((xt >> 48) & (asidBits == 16 ? 0xFFFFUL : 0xFFUL));
        ulong va56 = (xt & 0xFFF_FFFF_FFFF) << 12;
        int blocksBefore = _blocks2M.Valid + _blocks1G.Valid;
        int removed = (op.Op2()) switch
        {
            0 => ForAll(new AnyEntry()),                               // VMALLE1: everything
            2 => _pages.InvalidateAsid(asid) + _blocks2M.InvalidateAsid(asid) + _blocks1G.InvalidateAsid(asid), // ASIDE1: non-global entries of the ASID
            1 or 5 => ForVa(va56, new VaAsidEntry(asid)),              // VAE1/VALE1: global, or the ASID's
            3 or 7 => ForVa(va56, new AnyEntry()),                     // VAAE1/VAALE1: any ASID
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        };
        return new InvalidateResult(removed, _blocks2M.Valid + _blocks1G.Valid != blocksBefore);
    }

    /// <summary>Keeps (or stops keeping) per-frame counts of entries, for the coherence checker.</summary>
    internal void TrackFrames(bool on)
    {
        _pages.TrackFrames(on);
        _blocks2M.TrackFrames(on);
        _blocks1G.TrackFrames(on);
    }

    /// <summary>
    /// True when some entry's output range may contain the frame: a page entry for it, or any block entry covering
    /// it. Needs <see cref="TrackFrames"/> on; false means no entry maps the frame.
    /// </summary>
    internal bool MayMapFrame(ulong frame) =>
        _pages.FrameCounts!.ContainsKey(frame) || BlockCovers(_blocks2M, frame) || BlockCovers(_blocks1G, frame);

    /// <summary>The slots of the page entries that map <paramref name="frame"/>, when they are known (false: scan the page bank).</summary>
    internal bool TryPageSlots(ulong frame, out FrameSlots slots)
    {
        slots = _pages.FrameCounts!.GetValueOrDefault(frame, FrameSlots.None);
        return slots.Exact;
    }

    internal ref TlbEntry PageEntry(int slot) => ref _pages[slot];

    /// <summary>The block banks' entries (2 MiB, then 1 GiB): small, so the checker scans them.</summary>
    internal ReadOnlySpan<TlbEntry> BlockEntries(int level) => level == 2 ? _blocks2M.Entries : _blocks1G.Entries;

    /// <summary>True when no entry is tagged with <paramref name="asid"/> (known from the banks' counts), false when some may be.</summary>
    internal bool HoldsNoneOf(ushort asid) => BankHoldsNone(_pages, asid) && BankHoldsNone(_blocks2M, asid) && BankHoldsNone(_blocks1G, asid);

    /// <summary>A big bank knows its count per ASID; a small one (no counts) is scanned, which is cheap.</summary>
    private static bool BankHoldsNone(TlbBank bank, ushort asid)
    {
        int count = bank.CountAsid(asid);
        if (count >= 0 || bank.Valid == 0) return count <= 0;
        foreach (ref readonly var e in bank.Entries)
            if (e.Valid && !e.Global && e.Asid == asid) return false;
        return true;
    }

    private static bool BlockCovers(TlbBank bank, ulong frame)
    {
        if (bank.Valid == 0) return false;
        ulong size = 1UL << bank.Shift;
        foreach (var (outputBase, _) in bank.FrameCounts!)
            if (frame >= outputBase && frame - outputBase < size) return true;
        return false;
    }

    /// <summary>Every valid entry, for the checker and for dumps.</summary>
    public IEnumerable<TlbEntry> Entries()
    {
        foreach (var bank in new[] { _pages, _blocks2M, _blocks1G })
            for (int i = 0; i < bank.Entries.Length; i++)
                if (bank[i].Valid) yield return bank[i];
    }

    /// <summary>Calls <paramref name="visit"/> for each valid entry without allocating an enumerator.</summary>
    public void ForEach<TVisitor>(ref TVisitor visit) where TVisitor : struct, ITlbVisitor
    {
        VisitBank(_pages, ref visit);
        VisitBank(_blocks2M, ref visit);
        VisitBank(_blocks1G, ref visit);
    }

    private static void VisitBank<TVisitor>(TlbBank bank, ref TVisitor visit) where TVisitor : struct, ITlbVisitor
    {
        if (bank.Valid == 0) return;
        var entries = bank.Entries;
        for (int i = 0; i < entries.Length; i++)
            if (entries[i].Valid) visit.Visit(in entries[i]);
    }

    private TlbBank BankFor(int level) => level switch { 3 => _pages, 2 => _blocks2M, _ => _blocks1G };

    private int ForAll<T>(T match) where T : struct, ITlbMatch =>
        _pages.InvalidateAll(match) + _blocks2M.InvalidateAll(match) + _blocks1G.InvalidateAll(match);

    private int ForVa<T>(ulong va56, T match) where T : struct, ITlbMatch =>
        _pages.InvalidateVa(va56, match) + _blocks2M.InvalidateVa(va56, match) + _blocks1G.InvalidateVa(va56, match);

    private readonly struct AnyEntry : ITlbMatch
    {
        public bool Matches(in TlbEntry e) => true;
    }

    private readonly struct VaAsidEntry(ushort asid) : ITlbMatch
    {
        public bool Matches(in TlbEntry e) => e.Global || e.Asid == asid;
    }
}

/// <summary>What a TLBI removed from one TLB.</summary>
public readonly record struct InvalidateResult(int Removed, bool RemovedBlock);

/// <summary>A visitor over TLB entries (a struct, so a scan allocates nothing).</summary>
public interface ITlbVisitor
{
    void Visit(in TlbEntry entry);
}
