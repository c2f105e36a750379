using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Registers;
using MiniBSD.Hal.Tlb;
using MiniBSD.Hal.X86;

namespace MiniBSD.Hal;

/// <summary>x86 exception and interrupt delivery, SYSCALL/SYSRET, IRETQ and IPIs through the x2APIC.</summary>
public sealed partial class Cpu
{
    /// <summary>
    /// Delivers an exception through the IDT to CPL 0 (SDM Vol. 3A §6.12): the frame (vector, error code, RIP, CPL,
    /// RFLAGS) is pushed, CPL becomes 0 and IF is cleared (an interrupt gate). Returns 0 for the faulting instruction.
    /// </summary>
    internal ulong X86Exception(int vector, uint? errorCode)
    {
        Frame = new InterruptFrame(vector, errorCode ?? 0, Pc, Cpl, _rflags);
        _rflags &= ~X86.RflagsBits.IF;
        SetEl(1);
        Clock += _costs.ExceptionEntry;
        Counters.ExceptionsTaken++;
        return 0;
    }

    /// <summary>
    /// #PF: CR2 = the linear address, the error code pushed; the TLB forgets the address's entries in the current PCID
    /// (SDM §4.10.4.1: a page fault invalidates them, so the handler's fix is seen without INVLPG).
    /// </summary>
    private bool PageFault(ulong va, PageFaultError error, int level)
    {
        _cr2 = va;
        Counters.CountFault((error & PageFaultError.ReservedBit) != 0 ? FaultKind.AddressSize
            : (error & PageFaultError.Present) != 0 ? FaultKind.Permission : FaultKind.Translation, level);
        FlushX86(X86Flush.Invlpg, va, _paging.Pcid);
        X86Exception(X86.Vector.PF, (uint)error);
        return false;
    }

    /// <summary>SYSCALL (SDM Vol. 2): RCX = the next RIP, R11 = RFLAGS, RFLAGS &amp;= ~IA32_FMASK, CPL 0, RIP = IA32_LSTAR.</summary>
    private void EnterSyscall(int length)
    {
        if (!Efer.Sce) { X86Exception(X86.Vector.UD, null); return; }
        SyscallSaved = (Pc + (ulong)length, _rflags);
        _rflags &= ~_sfmask;
        SetEl(1);
        Pc = _lstar;
        Clock += _costs.ExceptionEntry;
        Counters.ExceptionsTaken++;
    }

    /// <summary>SYSRETQ: CPL 3, RIP = RCX, RFLAGS = R11 (with RF and VM clear, bit 1 set).</summary>
    private void ReturnToUser(ulong rcx, ulong r11)
    {
        _rflags = (r11 & 0x3C_7FD7) | X86.RflagsBits.Reserved1;
        Pc = rcx;
        SetEl(0);
        Clock += _costs.ExceptionReturn;
        Counters.ExceptionReturns++;
    }

    /// <summary>IRETQ: RIP, CPL and RFLAGS from the frame the last exception or interrupt pushed.</summary>
    private void InterruptReturn()
    {
        var f = Frame;
        _rflags = f.Rflags | X86.RflagsBits.Reserved1;
        Pc = f.Rip;
        SetEl(f.Cpl == 3 ? 0 : 1);
        Clock += _costs.ExceptionReturn;
        Counters.ExceptionReturns++;
    }

    /// <summary>
    /// A write of the x2APIC ICR: a fixed IPI of <paramref name="vector"/> to the CPU whose APIC ID is
    /// <paramref name="destination"/>. The sender pays the ICR write; the target takes the interrupt through its IDT
    /// at once, reached after <see cref="CostTable.IpiDelivery"/>: its handler's instructions run on the target.
    /// </summary>
    private void SendIpi(int destination, int vector)
    {
        if ((uint)destination >= (uint)_machine.Cpus.Count) throw new UnsupportedFeatureException($"IPI to APIC ID {destination}: no such CPU");
        Clock += _costs.IpiSend;
        Counters.IpisSent++;
        _machine.Cpu(destination).TakeIpi(vector, Clock + _costs.IpiDelivery);
    }

    /// <summary>An interrupt arrives: pushed frame, CPL 0, the gate's handler (which ends with IRETQ).</summary>
    private void TakeIpi(int vector, long arrivedAt)
    {
        var gate = Idt ?? throw new UnsupportedFeatureException($"cpu{Id}: interrupt 0x{vector:X} with no IDT loaded");
        TakeInterrupt(vector, check: false);   // the initiator has changed the tables; this CPU's entries go in the handler
        Counters.IpisReceived++;
        gate(this, vector, arrivedAt);
    }
}
