using System.Text;
using MiniBSD.Hal.Registers;
using MiniBSD.Hal.Tlb;

namespace MiniBSD.Hal.Cost;

/// <summary>What one CPU did: accesses, TLB behaviour, walks by depth, faults by kind and level, TLBIs by op.</summary>
public sealed class CpuCounters
{
    private readonly long[] _walksByReads = new long[5];
    private readonly long[,] _faults = new long[8, 4];
    private readonly long[] _tlbi = new long[64];

    public long TlbHits;
    public long TlbMisses;
    /// <summary>Accesses made with SCTLR_EL1.M = 0 (no TLB involved).</summary>
    public long UntranslatedAccesses;
    public long Dsb;
    public long Isb;
    public long SystemRegisterMoves;
    public long AddressTranslations;
    public long ExceptionsTaken;
    public long ExceptionReturns;
    public long FramesZeroed;
    public long FramesCopied;
    public long InterruptsTaken;
    /// <summary>Loads and stores that reached a memory-mapped device.</summary>
    public long DeviceAccesses;
    /// <summary>TLB entries removed from this CPU's TLB by any TLBI (local or broadcast from elsewhere).</summary>
    public long TlbEntriesInvalidated;
    /// <summary>IPIs this CPU sent (amd64: each target of a shootdown is one).</summary>
    public long IpisSent;
    /// <summary>IPIs this CPU took.</summary>
    public long IpisReceived;
    private readonly long[] _x86Flush = new long[8];

    /// <summary>x86 invalidations this CPU executed, by kind (INVLPG, the INVPCID types).</summary>
    public long X86Invalidations(X86Flush op) => _x86Flush[(int)op];
    internal void CountInvalidation(X86Flush op) => _x86Flush[(int)op]++;

    public long Accesses => TlbHits + TlbMisses + UntranslatedAccesses;

    /// <summary>Walks that made n descriptor reads (n = 1..4; a 4-level walk from level 0 is 4).</summary>
    public long WalksWithReads(int n) => _walksByReads[n];
    public long Walks => _walksByReads[1] + _walksByReads[2] + _walksByReads[3] + _walksByReads[4];
    public long Faults(FaultKind kind, int level = 0) => _faults[(int)kind, level];
    public long FaultsOfKind(FaultKind kind) => _faults[(int)kind, 0] + _faults[(int)kind, 1] + _faults[(int)kind, 2] + _faults[(int)kind, 3];
    /// <summary>TLBIs this CPU executed, by operation.</summary>
    public long Tlbi(TlbiOp op) => _tlbi[(int)op];
    public long TlbiTotal => _tlbi.Sum();

    internal void CountWalk(int reads) => _walksByReads[Math.Clamp(reads, 0, 4)]++;
    internal void CountFault(FaultKind kind, int level) => _faults[(int)kind, level & 3]++;
    internal void CountTlbi(TlbiOp op) => _tlbi[(int)op]++;

    /// <summary>Adds another CPU's counts into this one (for machine-wide totals).</summary>
    public void Add(CpuCounters other)
    {
        TlbHits += other.TlbHits; TlbMisses += other.TlbMisses; UntranslatedAccesses += other.UntranslatedAccesses;
        Dsb += other.Dsb; Isb += other.Isb; SystemRegisterMoves += other.SystemRegisterMoves;
        AddressTranslations += other.AddressTranslations; ExceptionsTaken += other.ExceptionsTaken;
        ExceptionReturns += other.ExceptionReturns; FramesZeroed += other.FramesZeroed; FramesCopied += other.FramesCopied;
        TlbEntriesInvalidated += other.TlbEntriesInvalidated;
        DeviceAccesses += other.DeviceAccesses;
        InterruptsTaken += other.InterruptsTaken;
        IpisSent += other.IpisSent; IpisReceived += other.IpisReceived;
        for (int i = 0; i < _x86Flush.Length; i++) _x86Flush[i] += other._x86Flush[i];
        for (int i = 0; i < _walksByReads.Length; i++) _walksByReads[i] += other._walksByReads[i];
        for (int k = 0; k < 8; k++) for (int l = 0; l < 4; l++) _faults[k, l] += other._faults[k, l];
        for (int i = 0; i < _tlbi.Length; i++) _tlbi[i] += other._tlbi[i];
    }

    /// <summary>A few lines a person can read: what the boot summary and tests print.</summary>
    public string Format(string indent = "")
    {
        var sb = new StringBuilder();
        sb.Append(indent).Append($"accesses {Accesses}: TLB hits {TlbHits}, misses {TlbMisses}, untranslated {UntranslatedAccesses}\n");
        sb.Append(indent).Append($"walks by descriptor reads: 1:{_walksByReads[1]} 2:{_walksByReads[2]} 3:{_walksByReads[3]} 4:{_walksByReads[4]}\n");
        var faults = new List<string>();
        foreach (var kind in Enum.GetValues<FaultKind>())
            for (int l = 0; l < 4; l++)
                if (kind != FaultKind.None && _faults[(int)kind, l] > 0)
                    faults.Add(kind is FaultKind.ExternalAbort or FaultKind.Alignment ? $"{kind} {_faults[(int)kind, l]}" : $"{kind} L{l} {_faults[(int)kind, l]}");
        sb.Append(indent).Append("faults: ").Append(faults.Count == 0 ? "none" : string.Join(", ", faults)).Append('\n');
        var tlbis = TlbiOpExtensions.All.Where(op => Tlbi(op) > 0).Select(op => $"{op.Mnemonic()} {Tlbi(op)}").ToList();
        sb.Append(indent).Append("TLBI: ").Append(tlbis.Count == 0 ? "none" : string.Join(", ", tlbis))
          .Append($"; entries invalidated {TlbEntriesInvalidated}; DSB {Dsb}, ISB {Isb}\n");
        if (IpisSent + _x86Flush.Sum() > 0)
            sb.Append(indent).Append($"x86: INVLPG {X86Invalidations(X86Flush.Invlpg)}, INVPCID type 0 {X86Invalidations(X86Flush.InvpcidAddress)}, type 1 {X86Invalidations(X86Flush.InvpcidSingle)}, type 2 {X86Invalidations(X86Flush.InvpcidAllGlobal)}, type 3 {X86Invalidations(X86Flush.InvpcidAll)}; IPIs sent {IpisSent}, received {IpisReceived}\n");
        sb.Append(indent).Append($"AT {AddressTranslations}, MSR/MRS {SystemRegisterMoves}, exceptions {ExceptionsTaken}, interrupts {InterruptsTaken}, ERET {ExceptionReturns}, device accesses {DeviceAccesses}, frames zeroed {FramesZeroed}, copied {FramesCopied}");
        return sb.ToString();
    }
}
