using MiniBSD.Hal.Cost;
using MiniBSD.Hal.Memory;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Registers;

namespace MiniBSD.Hal;

/// <summary>
/// One simulated core: its system registers, PSTATE (EL and PAN), its TLB, its clock in simulated cycles and
/// its counters. Instructions of user programs are not emulated; the CPU executes system instructions from their
/// encodings (Cpu.System.cs), loads and stores through its MMU (Cpu.Memory.cs) and takes exceptions
/// (Cpu.Exceptions.cs).
/// </summary>
public sealed partial class Cpu
{
    private readonly Machine _machine;
    private readonly PhysicalMemory _memory;
    private readonly CostTable _costs;
    private readonly IdAa64Mmfr0 _mmfr0;

    private ulong _sctlr, _tcr, _ttbr0, _ttbr1, _mair;
    private ulong _par, _esr, _far, _elr, _spsr, _vbar, _tpidr, _contextidr;
    private readonly TranslationRegime _regime;

    internal Cpu(Machine machine, int id)
    {
        _machine = machine;
        _memory = machine.Memory;
        _costs = machine.Costs;
        Id = id;
        Arch = machine.Config.Arch;
        _mmfr0 = Arch == Arch.Arm64 ? IdAa64Mmfr0.Create(machine.Config.PaBits, machine.Config.AsidBits) : IdAa64Mmfr0.Create(48, 16);
        if (Arch == Arch.Amd64) _x86 = new X86.X86Decoder();
        _paging = new X86.PagingState(default, default, default, default, machine.Config.PaBits);
        Tlb = new Tlb.Tlb(machine.Config.Tlb);
        _hitCost = _costs.AccessTlbHit;
        // Reset: MMU off, EL1, PAN clear. SCTLR_EL1's RES1 bits are not modelled.
        ClearMicroTlb();
        SetEl(1);
        _regime = TranslationRegime.Decode(new Sctlr(0), new Tcr(0), new Ttbr(0), new Ttbr(0), new Mair(0), _mmfr0);
    }

    public int Id { get; }
    public Machine Machine => _machine;
    public Tlb.Tlb Tlb { get; }
    public CpuCounters Counters { get; } = new();

    /// <summary>This CPU's clock in simulated cycles.</summary>
    public long Clock { get; private set; }

    /// <summary>PSTATE.EL: 0 (user) or 1 (kernel).</summary>
    public int El { get; private set; }

    /// <summary>PSTATE.PAN: EL1 data accesses to EL0-accessible memory fault while set.</summary>
    public bool Pan { get; private set; }

    /// <summary>
    /// The address of the instruction being executed, as far as the machine knows it: it is what an exception
    /// saves in ELR_EL1. Programs are not emulated, so whoever runs code on this CPU keeps it up to date.
    /// </summary>
    public ulong Pc { get; set; }

    /// <summary>The translation regime the registers define now.</summary>
    public TranslationRegime Regime => _regime;

    // Debugger views of registers (the kernel reads them with MRS, as real code does).
    public Sctlr Sctlr => new(_sctlr);
    public Tcr Tcr => new(_tcr);
    public Ttbr Ttbr0 => new(_ttbr0);
    public Ttbr Ttbr1 => new(_ttbr1);
    public Mair Mair => new(_mair);
    public Par Par => new(_par);
    public Esr Esr => new(_esr);
    public ulong Far => _far;
    public ulong Elr => _elr;
    public ulong Spsr => _spsr;
    public IdAa64Mmfr0 IdAa64Mmfr0 => _mmfr0;
    /// <summary>
    /// The tag translations are filled and looked up under now: the ASID (TTBR0 or TTBR1 by TCR.A1, cut to the ASID
    /// width) on arm64, the PCID (CR3[11:0] with CR4.PCIDE, else 0) on amd64.
    /// </summary>
    public ushort CurrentAsid => _x86 is null ? _regime.Asid : _paging.Pcid;

    /// <summary>Translation is on: SCTLR_EL1.M on arm64, CR0.PG on amd64.</summary>
    public bool TranslationEnabled => _x86 is null ? _regime.MmuEnabled : _paging.Cr0.Pg;

    /// <summary>Advances this CPU's clock by a cost the caller models (a lock hand-off, a context switch, ...).</summary>
    public void AdvanceClock(long cycles)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cycles);
        Clock += cycles;
    }

    /// <summary>Zeroes a frame as the kernel does with DC ZVA over its direct map; costs FrameZero.</summary>
    public void ZeroFrame(ulong pa)
    {
        _memory.ZeroFrame(pa);
        Clock += _costs.FrameZero;
        Counters.FramesZeroed++;
    }

    /// <summary>Copies a frame (load/store pairs over the direct map); costs FrameCopy.</summary>
    public void CopyFrame(ulong destinationPa, ulong sourcePa)
    {
        _memory.CopyFrame(destinationPa, sourcePa);
        Clock += _costs.FrameCopy;
        Counters.FramesCopied++;
    }

    public override string ToString() => _x86 is null
        ? $"cpu{Id} EL{El} PAN={(Pan ? 1 : 0)} ASID=0x{CurrentAsid:X} clock={Clock}"
        : $"cpu{Id} CPL{Cpl} AC={((_rflags & X86.RflagsBits.AC) != 0 ? 1 : 0)} CR3=0x{_cr3:X} PCID=0x{CurrentAsid:X} clock={Clock}";
}
