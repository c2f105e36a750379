namespace MiniBSD.Hal;

public sealed partial class Cpu
{
    /// <summary>CNTV_CTL_EL0 bits: ENABLE, IMASK, ISTATUS (read-only).</summary>
    public const ulong TimerEnable = 1 << 0, TimerImask = 1 << 1, TimerIstatus = 1 << 2;

    /// <summary>The generic timer's counter ticks once every this many CPU cycles (62.5 MHz beside 2.5 GHz).</summary>
    public const long CyclesPerTick = 40;

    private ulong _cntvCtl, _cntvCval;

    /// <summary>CNTVCT_EL0: the virtual count, derived from this CPU's clock.</summary>
    public ulong Counter => (ulong)(Clock / CyclesPerTick);

    /// <summary>ISTATUS: the timer is enabled and the count has reached CNTV_CVAL_EL0.</summary>
    private bool TimerCondition => (_cntvCtl & TimerEnable) != 0 && Counter >= _cntvCval;

    /// <summary>
    /// IA32_TSC_DEADLINE (amd64, MSR 0x6E0; the local APIC timer in TSC-deadline mode, SDM Vol. 3A §11.5.4.1): the
    /// timer fires when the TSC (this CPU's clock in cycles) reaches it; 0 disarms it.
    /// </summary>
    private ulong _tscDeadline;

    /// <summary>The timer asserts its interrupt: the condition holds and IMASK is clear (amd64: the TSC reached the deadline).</summary>
    public bool TimerInterruptPending => _x86 is null
        ? TimerCondition && (_cntvCtl & TimerImask) == 0
        : _tscDeadline != 0 && (ulong)Clock >= _tscDeadline;

    /// <summary>The clock (in cycles) at which an enabled, unmasked timer will fire, or null.</summary>
    public long? TimerDeadline => _x86 is not null
        ? (_tscDeadline == 0 ? null : (long)Math.Min(_tscDeadline, long.MaxValue))
        : (_cntvCtl & (TimerEnable | TimerImask)) == TimerEnable ? (long)Math.Min(_cntvCval, long.MaxValue / CyclesPerTick) * CyclesPerTick : null;

    /// <summary>
    /// Takes an IRQ exception to EL1 at an instruction boundary chosen by whoever runs code on this CPU: SPSR_EL1 and
    /// ELR_EL1 save the interrupted context, PSTATE.EL becomes 1 and PAN is set if SCTLR_EL1.SPAN = 0. ESR_EL1 is
    /// not written for interrupts.
    /// </summary>
    public void TakeInterrupt()
    {
        if (_x86 is not null) throw new UnsupportedFeatureException("amd64: an interrupt has a vector (TakeInterrupt(vector))");
        EnterEl1(Pc);
        Counters.InterruptsTaken++;
    }

    /// <summary>
    /// amd64: an external interrupt of <paramref name="vector"/> (the timer, a reschedule IPI) taken at an instruction
    /// boundary chosen by whoever runs code here: the frame pushed, CPL 0, IF clear. The kernel's code for it runs in
    /// the caller and ends with IRETQ (IPIs of the shootdown protocol go through the IDT instead).
    /// </summary>
    public void TakeInterrupt(int vector) => TakeInterrupt(vector, check: true);

    private void TakeInterrupt(int vector, bool check)
    {
        if (_x86 is null) throw new UnsupportedFeatureException("arm64: IRQs have no vector here (TakeInterrupt())");
        Frame = new InterruptFrame(vector, 0, Pc, Cpl, _rflags);
        _rflags &= ~X86.RflagsBits.IF;
        SetEl(1, check);
        Clock += _costs.InterruptEntry;
        Counters.InterruptsTaken++;
    }
}
