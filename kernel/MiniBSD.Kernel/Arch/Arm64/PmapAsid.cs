using MiniBSD.Hal;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Registers;
using MiniBSD.Hal.Tlb;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Arch.Arm64;

/// <summary>
/// The ASID allocator of OpenBSD's arm64 pmap.c (pmap_asid, pmap_nasid, pmap_asid_gen, pmap_find_asid,
/// pmap_rollover_asid, pmap_allocate_asid, pmap_free_asid). A pmap's ASID is generation | number, the generation
/// stepping by 2^16; a pmap whose generation is stale gets a new number on its next activation.
/// With <see cref="Pairs"/> (the kernel's default, as OpenBSD), ASIDs go in pairs: the even one while the CPU runs
/// the kernel, the odd one (ASID_USER = 1 OR-ed in) while it runs the process, the bitmap marking both
/// (pmap_asid[] with 3U &lt;&lt; bit), and pmap_free_asid invalidates both. Without, one number a pmap. A difference
/// from OpenBSD, and why: pmap_find_asid's five random tries become a scan from a rotating cursor, so runs are
/// deterministic.
/// </summary>
public sealed class PmapAsid
{
    /// <summary>The generation lives above bit 16 of pm_asid, whatever the ASID width.</summary>
    public const ulong GenerationStep = 1UL << 16;

    private readonly Machine _machine;
    private readonly bool[] _inUse;
    private int _cursor = 1;

    /// <param name="limit">How many ASID numbers to use (ASID 0 included): 2^ASIDBits by default; tests pass a small
    /// number to exercise exhaustion and rollover.</param>
    public PmapAsid(Machine machine, Cpu cpu, int? limit = null)
    {
        _machine = machine;
        var id = new IdAa64Mmfr0(cpu.Mrs(SysReg.IdAa64Mmfr0El1));
        var tcr = new Tcr(cpu.Mrs(SysReg.TcrEl1));
        // 16-bit ASIDs need both the hardware (ID_AA64MMFR0_EL1.ASIDBits) and TCR_EL1.AS; else 8 bits are compared.
        int hardware = 1 << (id.AsidBits == 16 && tcr.As ? 16 : 8);
        Count = Math.Min(limit ?? hardware, hardware);
        Kassert(Count >= 2, "PmapAsid: need at least one ASID besides 0");
        _inUse = new bool[Count];
        _inUse[0] = true; // ASID 0 is the kernel's (and the empty TTBR0 table's)
        Generation = GenerationStep;
    }

    /// <summary>pmap_nasid: ASID numbers in use, 0 included.</summary>
    public int Count { get; }

    /// <summary>Kernel/user pairs (OpenBSD arm64): set before the first allocation.</summary>
    public bool Pairs
    {
        get => _pairs;
        set
        {
            Kassert(InUse == 0 || value == _pairs, "PmapAsid: pairs chosen after ASIDs were handed out");
            _pairs = value;
            if (value) _inUse[1] = true;   // 0 and 1 are the kernel's pair
        }
    }

    private bool _pairs;

    /// <summary>How many pmaps can hold an ASID at once (numbers, or pairs, besides the kernel's).</summary>
    public int Capacity => _pairs ? Count / 2 - 1 : Count - 1;

    /// <summary>ASID_USER: the odd number of a pair, run in user mode.</summary>
    public const ushort AsidUser = 1;

    /// <summary>pmap_asid_gen.</summary>
    public ulong Generation { get; private set; }

    /// <summary>How many rollovers happened.</summary>
    public int Rollovers { get; private set; }

    /// <summary>Numbers handed out in the current generation, ASID 0 excluded.</summary>
    public int InUse => _inUse.Count(b => b) - (_pairs ? 2 : 1);

    /// <summary>True when <paramref name="pmAsid"/> belongs to the current generation.</summary>
    public bool IsCurrent(ulong pmAsid) => (pmAsid & ~(GenerationStep - 1)) == Generation;

    /// <summary>The ASID field of a pm_asid value, as TTBR and TLBI operands carry it.</summary>
    public static ushort Number(ulong pmAsid) => (ushort)(pmAsid & (GenerationStep - 1));

    /// <summary>
    /// pmap_allocate_asid: a number for a pmap, reusing its old one when it is still free in this generation. When
    /// none is free, rolls over first (<see cref="Rollover"/>); <paramref name="loaded"/> are the pmaps loaded on
    /// CPUs now, whose numbers survive into the new generation. Returns the new pm_asid.
    /// </summary>
    /// <summary>Fault injection: <see cref="FailSite.Asid"/> makes an allocation roll over.</summary>
    public Kern.FailPoints FailPoints { get; set; } = new();

    public ulong Allocate(Cpu cpu, ulong oldPmAsid, IReadOnlyList<Arm64Pmap> loaded)
    {
        int number = FailPoints.Fail(Kern.FailSite.Asid) ? -1 : Find(Number(oldPmAsid));
        if (number < 0)
        {
            Rollover(cpu, loaded);
            number = Find(0);
            Kassert(number > 0, "pmap_allocate_asid: no ASID free after a rollover ({0} ASIDs, {1} loaded)", Count, loaded.Count);
        }
        _machine.Checker.AsidAllocated((ushort)number);
        if (_pairs) _machine.Checker.AsidAllocated((ushort)(number | AsidUser));
        return Generation | (uint)number;
    }

    /// <summary>
    /// pmap_free_asid: invalidates everything tagged with the ASID (both of a pair) on every CPU (TLBI ASIDE1IS),
    /// then releases the number if it belongs to the current generation.
    /// </summary>
    public void Free(Cpu cpu, ulong pmAsid)
    {
        ushort number = Number(pmAsid);
        Kassert(number != 0, "pmap_free_asid: ASID 0 is never freed");
        cpu.Dsb(BarrierOption.Ishst);
        cpu.Tlbi(TlbiOp.Aside1Is, TlbiOpExtensions.Operand(0, number));
        if (_pairs) cpu.Tlbi(TlbiOp.Aside1Is, TlbiOpExtensions.Operand(0, (ushort)(number | AsidUser)));
        cpu.Dsb(BarrierOption.Ish);
        if (!IsCurrent(pmAsid)) return;
        _inUse[number] = false;
        if (_pairs) _inUse[number | AsidUser] = false;
    }

    /// <summary>pmap_find_asid: the old number if free, else the next free one after the cursor; -1 if none.</summary>
    private int Find(int old)
    {
        int step = _pairs ? 2 : 1, first = step;   // pairs: even numbers from 2
        if (old >= first && old < Count && old % step == 0 && !_inUse[old])
            return Take(old);
        int slots = (Count - first) / step;
        for (int i = 0; i < slots; i++)
        {
            int n = first + ((_cursor - first) / step + i) % slots * step;
            if (n + step - 1 >= Count || _inUse[n]) continue;
            _cursor = n + step >= Count ? first : n + step;
            return Take(n);
        }
        return -1;
    }

    private int Take(int n)
    {
        _inUse[n] = true;
        if (_pairs) _inUse[n | AsidUser] = true;
        return n;
    }

    /// <summary>
    /// pmap_rollover_asid: a new generation with every number free but 0 and those of the pmaps loaded on CPUs now
    /// (restamped into the new generation so they need no new number), then TLBI VMALLE1IS so no TLB holds an entry
    /// of the old generation.
    /// </summary>
    private void Rollover(Cpu cpu, IReadOnlyList<Arm64Pmap> loaded)
    {
        Generation += GenerationStep;
        Rollovers++;
        Array.Clear(_inUse);
        _inUse[0] = true;
        if (_pairs) _inUse[AsidUser] = true;
        foreach (var pm in loaded)
        {
            ushort number = Number(pm.Asid);
            if (number == 0) continue;
            Take(number);
            pm.Asid = Generation | number;
        }
        cpu.Dsb(BarrierOption.Ishst);
        cpu.Tlbi(TlbiOp.Vmalle1Is);
        cpu.Dsb(BarrierOption.Ish);
        cpu.Isb();
    }
}
