using MiniBSD.Hal.Registers;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Tlb;

namespace MiniBSD.Hal.Check;

/// <summary>
/// DESIGN.md's TLB coherence checker. It watches what software may not do to a TLB:
/// (1) change a translation without the invalidation the architecture requires, seen as a TLB hit that differs
/// from a fresh walk; (2) release a frame that a usable TLB entry still maps; (3) hand out an ASID that some TLB
/// still holds entries for. It stays silent on correct sequences: break-before-make, invalid-to-valid without a
/// TLBI (faults are never cached), tearing down tables no CPU has loaded, and one ASID invalidation in place of many.
/// The kernel reports frame releases and ASID hand-outs to it; TLB hits it sees itself.
/// </summary>
public sealed class TlbCoherenceChecker
{
    private readonly Machine _machine;
    private readonly List<CoherenceViolation> _violations = [];
    private readonly List<(ulong Start, ulong End)> _permanent = [];
    private bool _enabled;

    internal TlbCoherenceChecker(Machine machine) => _machine = machine;

    /// <summary>On in every kernel test; off by default elsewhere, since it walks on every TLB hit.</summary>
    public bool Enabled
    {
        get => _enabled;
        set
        {
            if (_enabled == value) return;
            _enabled = value;
            foreach (var cpu in _machine.Cpus) cpu.Tlb.TrackFrames(value);
        }
    }

    /// <summary>Throw <see cref="CoherenceViolationException"/> at the first violation instead of only recording it.</summary>
    public bool ThrowOnViolation { get; set; }

    /// <summary>What the kernel is doing now (e.g. "exit1 pid 42"), named in every report.</summary>
    public string? Context { get; set; }

    public IReadOnlyList<CoherenceViolation> Violations => _violations;

    /// <summary>
    /// Declares [<paramref name="vaStart"/>, <paramref name="vaEnd"/>) a mapping that covers frames for their whole
    /// life, whoever owns them, such as a kernel's direct map of RAM: rule 2 does not count its entries, since
    /// freeing a frame does not unmap it from there.
    /// </summary>
    public void AddPermanentMapping(ulong vaStart, ulong vaEnd) =>
        _permanent.Add((vaStart & VaMask, (vaEnd - 1) & VaMask));

    private const ulong VaMask = 0x00FF_FFFF_FFFF_FFFF; // TLB entries are keyed by VA[55:0]

    private bool IsPermanent(ulong va56)
    {
        foreach (var (start, last) in _permanent)
            if (va56 >= start && va56 <= last) return true;
        return false;
    }

    public void Clear() => _violations.Clear();

    /// <summary>Rule 1: compares a TLB hit on <paramref name="cpu"/> with a side-effect-free walk of its current tables.</summary>
    internal void CheckHit(Cpu cpu, in TlbEntry entry, ulong va)
    {
        if (cpu.IsAmd64)
        {
            CheckHitX86(cpu, in entry, va);
            return;
        }
        var walk = TableWalker.Walk(_machine.Memory, cpu.Regime, va, AccessType.Read,
            new TableWalker.Options(El0: false, Pan: false, UpdateDescriptors: false, CheckPermission: false, IgnoreEpd: true));
        string? difference = Compare(in entry, in walk, va);
        if (difference is null) return;
        ulong? now = walk.IsFault && walk.Reads == 0 ? null : ReadDescriptorNow(walk, entry);
        Report(new CoherenceViolation(CoherenceRule.StaleHit, cpu.Id, entry.Asid, entry.Global, va, entry.PhysicalAddress(va) & ~0xFFFUL,
            entry.Descriptor, entry.DescriptorAddress, now, difference, Context));
    }

    /// <summary>Rule 1 on amd64: the hit against a side-effect-free 4-level walk of the tables CR3 names now.</summary>
    private void CheckHitX86(Cpu cpu, in TlbEntry entry, ulong va)
    {
        var walk = X86.PagingWalker.Walk(_machine.Memory, cpu.Paging, va, AccessType.Read,
            new X86.PagingWalker.Options(Cpl: 0, Ac: true, UpdateAccessed: false, CheckPermission: false));
        string? difference = walk.IsFault ? $"the tables now give a #PF {X86.PageFaultErrors.Describe(walk.Error)} but the TLB still translates it"
            : walk.PhysicalAddress(va) != entry.PhysicalAddress(va) || walk.Level != entry.Level
                ? $"the tables now map it to PA 0x{walk.PhysicalAddress(va):X} at level {walk.Level}, the TLB to PA 0x{entry.PhysicalAddress(va):X} at level {entry.Level}"
            : walk.Rights != entry.Permissions ? $"rights changed without invalidation: tables {X86.X86Rights.Describe(walk.Rights)}, TLB {X86.X86Rights.Describe(entry.Permissions)}"
            : walk.Global != entry.Global ? $"G changed without invalidation: tables {(walk.Global ? "global" : "not global")}, TLB {(entry.Global ? "global" : "not global")}"
            : walk.Attr != entry.Attr ? $"memory type changed without invalidation: tables PAT index {walk.Attr}, TLB {entry.Attr}"
            : null;
        if (difference is null) return;
        ulong? now = _machine.Memory.TryRead64(entry.DescriptorAddress, out var d) ? d : null;
        Report(new CoherenceViolation(CoherenceRule.StaleHit, cpu.Id, entry.Asid, entry.Global, va, entry.PhysicalAddress(va) & ~0xFFFUL,
            entry.Descriptor, entry.DescriptorAddress, now, difference, Context));
    }

    /// <summary>
    /// Rule 2: the kernel is releasing [<paramref name="frame"/>, +<paramref name="count"/> frames). Reports every TLB
    /// entry, on any CPU, that maps one of them and could still be used: a global entry, or one tagged with an ASID
    /// some CPU has loaded now. Entries of an ASID nobody has loaded are harmless until that ASID is handed out again;
    /// entries of a permanent mapping (<see cref="AddPermanentMapping"/>) are not the frame's mappings. On amd64 PCIDs
    /// are a CPU's own: an entry is usable by its CPU if it is global or tagged with the PCID that CPU has loaded (an
    /// entry of another PCID comes back into use only when that PCID is loaded again without a flush, which rule 3
    /// checks at <see cref="PcidLoaded"/>).
    /// </summary>
    public void FrameReleased(ulong frame, int count = 1)
    {
        if (!_enabled) return;
        ulong end = frame + (ulong)count * Memory.PhysicalMemory.FrameSize;
        HashSet<ushort>? loadedSet = null;
        foreach (var cpu in _machine.Cpus)
        {
            if (!AnyFrameMapped(cpu, frame, count)) continue; // the usual case: no entry of this TLB maps them
            var loaded = loadedSet ??= LoadedAsids();
            if (KnownSlots(cpu, frame, count))
            {
                // The page bank knows where the entries are: look at those alone (a frame is mostly mapped once or
                // twice), and at the small block banks whole (the kernel's direct map covers every frame).
                for (int i = 0; i < count; i++)
                {
                    cpu.Tlb.TryPageSlots(frame + (ulong)i * Memory.PhysicalMemory.FrameSize, out var slots);
                    if (slots.A >= 0) CheckReleased(cpu, cpu.Tlb.PageEntry(slots.A), frame, end, loaded);
                    if (slots.B >= 0) CheckReleased(cpu, cpu.Tlb.PageEntry(slots.B), frame, end, loaded);
                }
                foreach (int level in (ReadOnlySpan<int>)[2, 1])
                    foreach (ref readonly var e in cpu.Tlb.BlockEntries(level)) CheckReleased(cpu, e, frame, end, loaded);
                continue;
            }
            foreach (var e in cpu.Tlb.Entries()) CheckReleased(cpu, e, frame, end, loaded);
        }
    }

    private static bool KnownSlots(Cpu cpu, ulong frame, int count)
    {
        for (int i = 0; i < count; i++)
            if (!cpu.Tlb.TryPageSlots(frame + (ulong)i * Memory.PhysicalMemory.FrameSize, out _)) return false;
        return true;
    }

    /// <summary>Rule 2 for one entry: it may not map a frame of [frame, end) and be usable.</summary>
    private void CheckReleased(Cpu cpu, in TlbEntry e, ulong frame, ulong end, HashSet<ushort> loaded)
    {
        if (!e.Valid || e.OutputBase >= end || e.OutputBase + e.Size <= frame) return;
        if (!e.Global && (cpu.IsAmd64 ? !cpu.TranslationEnabled || cpu.CurrentAsid != e.Asid : !loaded.Contains(e.Asid))) return;
        if (IsPermanent(e.VaBase)) return;
        ulong hit = Math.Max(frame, e.OutputBase);
        string why = e.Global ? "global entry" : cpu.IsAmd64 ? $"PCID 0x{e.Asid:X} is loaded on cpu{cpu.Id}" : $"ASID 0x{e.Asid:X} is loaded on cpu{string.Join(",cpu", LoadedOn(e.Asid))}";
        Report(new CoherenceViolation(CoherenceRule.FreedFrameStillMapped, cpu.Id, e.Asid, e.Global, e.Va + (hit - e.OutputBase),
            hit, e.Descriptor, e.DescriptorAddress, _machine.Memory.TryRead64(e.DescriptorAddress, out var d) ? d : null,
            $"frame released while a usable TLB entry still maps it ({why})", Context));
    }

    private static bool AnyFrameMapped(Cpu cpu, ulong frame, int count)
    {
        for (int i = 0; i < count; i++)
            if (cpu.Tlb.MayMapFrame(frame + (ulong)i * Memory.PhysicalMemory.FrameSize)) return true;
        return false;
    }

    /// <summary>Rule 3: the kernel is handing out <paramref name="asid"/>; no TLB may hold non-global entries tagged with it.</summary>
    public void AsidAllocated(ushort asid)
    {
        if (!_enabled) return;
        foreach (var cpu in _machine.Cpus) StaleTagged(cpu, asid, "ASID");
    }

    /// <summary>
    /// Rule 3 on amd64: <paramref name="cpu"/> has just loaded <paramref name="pcid"/> for an address space other than
    /// the one its entries under that PCID came from (OpenBSD: every user pmap shares PCID 1 and each switch to one
    /// flushes it); its TLB may hold no non-global entry tagged with the PCID.
    /// </summary>
    public void PcidLoaded(Cpu cpu, ushort pcid)
    {
        if (_enabled) StaleTagged(cpu, pcid, "PCID");
    }

    private void StaleTagged(Cpu cpu, ushort asid, string tag)
    {
        if (cpu.Tlb.HoldsNoneOf(asid)) return;   // the usual case, known from the per-ASID counts
        int stale = 0;
        TlbEntry first = default;
        foreach (var e in cpu.Tlb.Entries())
            if (!e.Global && e.Asid == asid && stale++ == 0) first = e;
        if (stale > 0)
            Report(new CoherenceViolation(CoherenceRule.AsidReusedWithStaleEntries, cpu.Id, asid, false, first.Va, first.OutputBase,
                first.Descriptor, first.DescriptorAddress, null, $"{tag} handed out while this TLB holds {stale} entr{(stale == 1 ? "y" : "ies")} tagged with it", Context));
    }

    /// <summary>
    /// What the micro-TLB and the last-page cache of <paramref name="cpu"/> serve without asking the TLB: each copy must
    /// be of a page the TLB still translates, to the same frame, with the permission the copy is used for (else the
    /// fast path changed behaviour: <see cref="CoherenceRule.FastPathStale"/>), and that TLB entry must agree with the
    /// tables, as rule 1 checks a hit. Run at every context synchronization event (exception entry and return, ISB)
    /// and after every TLBI that removed entries, so a stale translation the fast path served is caught at the next
    /// such event rather than at the access (the price of checking the code users run).
    /// </summary>
    internal void CheckFastPath(Cpu cpu)
    {
        var visitor = new FastCopyCheck(this);
        cpu.ForEachFastCopy(ref visitor);
    }

    private readonly struct FastCopyCheck(TlbCoherenceChecker checker) : IFastCopyVisitor
    {
        public void Copy(Cpu cpu, ulong pageVa, bool el0, AccessType access, ulong[] words)
        {
            ulong va56 = pageVa & VaMask;
            var memory = checker._machine.Memory;
            bool mapped = cpu.Tlb.TryLookup(va56, cpu.CurrentAsid, out var entry);
            ulong frame = mapped ? entry.PhysicalAddress(pageVa) & ~0xFFFUL : 0;
            string? wrong = !mapped ? "the TLB no longer translates the page"
                : !memory.Contains(frame, Memory.PhysicalMemory.FrameSize) || !ReferenceEquals(memory.BackingFor(frame), words) ? $"the TLB now maps it to frame 0x{frame:X}"
                : !cpu.RightsAllow(entry.Permissions, access, el0) ? $"the TLB entry no longer allows {access} at EL{(el0 ? 0 : 1)}"
                : null;
            if (wrong is null)
            {
                checker.CheckHit(cpu, in entry, pageVa);
                return;
            }
            checker.Report(new CoherenceViolation(CoherenceRule.FastPathStale, cpu.Id, cpu.CurrentAsid, false, pageVa, frame, entry.Descriptor,
                entry.DescriptorAddress, null, $"the micro-TLB still serves {access} at EL{(el0 ? 0 : 1)} of this page, but {wrong}", checker.Context));
        }
    }

    private static string? Compare(in TlbEntry entry, in WalkResult walk, ulong va)
    {
        if (walk.IsFault) return $"the tables now give a {walk.Status.Describe()} but the TLB still translates it";
        if (walk.PhysicalAddress(va) != entry.PhysicalAddress(va) || walk.Level != entry.Level)
            return $"the tables now map it to PA 0x{walk.PhysicalAddress(va):X} at level {walk.Level}, the TLB to PA 0x{entry.PhysicalAddress(va):X} at level {entry.Level}";
        if (walk.Permissions != entry.Permissions)
            return $"permissions changed without invalidation: tables {walk.Permissions.Describe()}, TLB {entry.Permissions.Describe()}";
        if (walk.Attr != entry.Attr || walk.Sh != entry.Sh)
            return $"memory attributes changed without invalidation: tables attr 0x{walk.Attr:X2} SH {walk.Sh}, TLB attr 0x{entry.Attr:X2} SH {entry.Sh}";
        if (walk.NotGlobal == entry.Global)
            return $"nG changed without invalidation: tables nG={(walk.NotGlobal ? 1 : 0)}, TLB {(entry.Global ? "global" : "non-global")}";
        return null;
    }

    private ulong? ReadDescriptorNow(in WalkResult walk, in TlbEntry entry) =>
        _machine.Memory.TryRead64(entry.DescriptorAddress, out var d) ? d : null;

    private HashSet<ushort> LoadedAsids()
    {
        var set = new HashSet<ushort>();
        foreach (var cpu in _machine.Cpus)
            if (cpu.TranslationEnabled) set.Add(cpu.CurrentAsid);
        return set;
    }

    private IEnumerable<int> LoadedOn(ushort asid) =>
        _machine.Cpus.Where(c => c.TranslationEnabled && c.CurrentAsid == asid).Select(c => c.Id);

    private void Report(CoherenceViolation v)
    {
        _violations.Add(v);
        if (ThrowOnViolation) throw new CoherenceViolationException(v);
    }
}
