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

    /// <summary>The timer asserts its interrupt: the condition holds and IMASK is clear.</summary>
    public bool TimerInterruptPending => TimerCondition && (_cntvCtl & TimerImask) == 0;

    /// <summary>The clock (in cycles) at which an enabled, unmasked timer will fire, or null.</summary>
    public long? TimerDeadline =>
        (_cntvCtl & (TimerEnable | TimerImask)) == TimerEnable ? (long)Math.Min(_cntvCval, long.MaxValue / CyclesPerTick) * CyclesPerTick : null;

    /// <summary>
    /// Takes an IRQ exception to EL1 at an instruction boundary chosen by whoever runs code on this CPU: SPSR_EL1 and
    /// ELR_EL1 save the interrupted context, PSTATE.EL becomes 1 and PAN is set if SCTLR_EL1.SPAN = 0. ESR_EL1 is
    /// not written for interrupts.
    /// </summary>
    public void TakeInterrupt()
    {
        EnterEl1(Pc);
        Counters.InterruptsTaken++;
    }
}
