using MiniBSD.Hal.X86;

namespace MiniBSD.Hal.Tlb;

/// <summary>What an x86 invalidation removes (Intel SDM Vol. 3A §4.10.4.1).</summary>
public enum X86Flush : byte
{
    /// <summary>INVLPG m, or a #PF: the page in the current PCID, and global entries of the page.</summary>
    Invlpg,
    /// <summary>INVPCID type 0: the page in the given PCID; global entries are kept.</summary>
    InvpcidAddress,
    /// <summary>INVPCID type 1, MOV to CR3 without bit 63: every non-global entry of the PCID.</summary>
    InvpcidSingle,
    /// <summary>INVPCID type 2, a CR4.PGE toggle, CR4.PCIDE 1 to 0, CR0.PG 1 to 0: every entry, global ones too.</summary>
    InvpcidAllGlobal,
    /// <summary>INVPCID type 3: every non-global entry of every PCID.</summary>
    InvpcidAll,
}

public sealed partial class Tlb
{
    /// <summary>
    /// Performs an x86 invalidation on this TLB: entries are tagged with the PCID they were filled under (in the
    /// ASID field) and global entries match every PCID. Returns how many entries went and whether a large page did.
    /// </summary>
    public InvalidateResult Invalidate(X86Flush op, ulong va56, ushort pcid)
    {
        int blocksBefore = _blocks2M.Valid + _blocks1G.Valid;
        int removed = op switch
        {
            X86Flush.Invlpg => ForVa(va56, new VaAsidEntry(pcid)),
            X86Flush.InvpcidAddress => ForVa(va56, new NonGlobalOf(pcid)),
            X86Flush.InvpcidSingle => _pages.InvalidateAsid(pcid) + _blocks2M.InvalidateAsid(pcid) + _blocks1G.InvalidateAsid(pcid),
            X86Flush.InvpcidAllGlobal => ForAll(new AnyEntry()),
            X86Flush.InvpcidAll => ForAll(new NonGlobal()),
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        };
        return new InvalidateResult(removed, _blocks2M.Valid + _blocks1G.Valid != blocksBefore);
    }

    /// <summary>Caches a successful x86 walk of VA[55:0] made under <paramref name="pcid"/>; returns what it replaced.</summary>
    public TlbEntry Insert(ulong va56, ushort pcid, in PagingResult walk)
    {
        var entry = new TlbEntry
        {
            Key = (va56 & ~((1UL << walk.Shift) - 1)) | 1,
            OutputBase = walk.OutputBase,
            Descriptor = walk.Entry,
            DescriptorAddress = walk.EntryAddress,
            Asid = pcid,
            Global = walk.Global,
            Level = (byte)walk.Level,
            Attr = walk.Attr,
            Permissions = walk.Rights,
            DirtyPending = !walk.Dirty,   // a write through a clean entry walks again to set D (SDM §4.8)
        };
        return BankFor(walk.Level).Insert(entry);
    }

    private readonly struct NonGlobalOf(ushort pcid) : ITlbMatch
    {
        public bool Matches(in TlbEntry e) => !e.Global && e.Asid == pcid;
    }

    private readonly struct NonGlobal : ITlbMatch
    {
        public bool Matches(in TlbEntry e) => !e.Global;
    }
}
