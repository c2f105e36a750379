using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Registers;
using MiniBSD.Hal.Tlb;

namespace MiniBSD.Hal;

public sealed partial class Cpu
{
    /// <summary>
    /// Executes one system instruction from its 32-bit encoding. <paramref name="xt"/> is the value of the
    /// register the encoding names (the source of MSR/TLBI/AT); the result is the value MRS writes to it
    /// (0 for the others). An instruction EL0 may not execute takes an Undefined Instruction exception (EC 0x00);
    /// an encoding or register value MiniBSD does not implement throws <see cref="UnsupportedFeatureException"/>.
    /// </summary>
    public ulong Execute(uint encoding, ulong xt = 0)
    {
        if (_x86 is not null) throw new UnsupportedFeatureException($"amd64 CPU: A64 encoding 0x{encoding:X8}");
        var insn = Decode(encoding);
        _machine.Trace?.OnInstruction(Id, Clock, encoding, xt);
        if (El == 0 && !El0MayExecute(insn))
        {
            TakeException(Esr.Undefined, Pc, null);
            return 0;
        }
        switch (insn.Kind)
        {
            case InstructionKind.Msr: WriteSystemRegister(insn, xt); return 0;
            case InstructionKind.Mrs: return ReadSystemRegister(insn);
            case InstructionKind.Tlbi: ExecuteTlbi(insn.Tlbi, xt); return 0;
            case InstructionKind.At: ExecuteAt(insn.At, xt); return 0;
            case InstructionKind.Dsb: Clock += _costs.Dsb; Counters.Dsb++; return 0;
            case InstructionKind.Dmb: Clock += _costs.Dsb; return 0; // priced as a DSB: an upper bound, DMB orders without waiting
            case InstructionKind.Isb:
                Clock += _costs.Isb;
                Counters.Isb++;
                if (_machine.Checker.Enabled) _machine.Checker.CheckFastPath(this);   // a context synchronization event
                return 0;
            case InstructionKind.MsrPanImmediate: Pan = insn.Immediate != 0; Clock += _costs.SystemRegister; return 0;
            case InstructionKind.Svc: TakeException(Esr.Svc(insn.Immediate), Pc + 4, null); return 0;
            case InstructionKind.Eret: ExceptionReturn(); return 0;
            default: throw Unsupported(encoding, insn);
        }
    }

    /// <summary>Decoded instructions by encoding (direct-mapped): a kernel executes the same few dozen encodings.</summary>
    private readonly Instruction[] _decoded = new Instruction[1024];

    /// <summary><see cref="Instruction.Decode"/>, remembered: the same word always decodes the same way.</summary>
    private Instruction Decode(uint encoding)
    {
        ref var slot = ref _decoded[(encoding ^ (encoding >> 10) ^ (encoding >> 20)) & 1023];
        if (slot.Word != encoding) slot = Instruction.Decode(encoding);   // word 0 never decodes, so empty slots miss
        return slot;
    }

    // Typed helpers: each builds the real encoding and goes through Execute, so traces and counters see it.
    public void Msr(SysReg reg, ulong value) => Execute(A64.Msr(reg), value);
    public ulong Mrs(SysReg reg) => Execute(A64.Mrs(reg));
    public void Tlbi(TlbiOp op, ulong xt = 0) => Execute(A64.Tlbi(op, op.HasOperand() ? 0 : 31), xt);
    public void Dsb(BarrierOption option) => Execute(A64.Dsb(option));
    public void Isb() => Execute(A64.Isb);
    public void SetPan(bool pan) => Execute(A64.MsrPanImmediate(pan));
    public void Svc(ushort imm16) => Execute(A64.Svc(imm16));
    public void Eret() => Execute(A64.Eret);

    /// <summary>AT &lt;op&gt;, va; returns PAR_EL1 afterwards (MRS x0, PAR_EL1).</summary>
    public Par At(AtOp op, ulong va)
    {
        Execute(A64.At(op), va);
        return new Par(Mrs(SysReg.ParEl1));
    }

    // Exceptions are made in methods of their own: an interpolated string in a hot method slows all of it.
    private static UnsupportedFeatureException Unsupported(uint encoding, in Instruction insn) => new($"0x{encoding:X8}: {insn}");

    private static UnsupportedFeatureException Unsupported(string op, SysReg reg) => new($"{op} {reg.Name()} is not implemented");

    private static bool El0MayExecute(in Instruction insn) =>
        insn.Kind is InstructionKind.Svc or InstructionKind.Dsb or InstructionKind.Dmb or InstructionKind.Isb
        || (insn.Kind == InstructionKind.Mrs && insn.Register.El0Readable());

    private void WriteSystemRegister(in Instruction insn, ulong value)
    {
        Clock += _costs.SystemRegister;
        Counters.SystemRegisterMoves++;
        var reg = insn.Register;
        if (reg.IsReadOnly())
        {
            TakeException(Esr.Undefined, Pc, null); // MSR to a read-only register is UNDEFINED
            return;
        }
        switch (reg)
        {
            case SysReg.SctlrEl1: SetTranslationRegisters(value, _tcr, _ttbr0, _ttbr1, _mair); break;
            case SysReg.TcrEl1: SetTranslationRegisters(_sctlr, value, _ttbr0, _ttbr1, _mair); break;
            case SysReg.Ttbr0El1: SetTranslationRegisters(_sctlr, _tcr, value, _ttbr1, _mair); break;
            case SysReg.Ttbr1El1: SetTranslationRegisters(_sctlr, _tcr, _ttbr0, value, _mair); break;
            case SysReg.MairEl1: SetTranslationRegisters(_sctlr, _tcr, _ttbr0, _ttbr1, value); break;
            case SysReg.ParEl1: _par = value; break;
            case SysReg.EsrEl1: _esr = value; break;
            case SysReg.FarEl1: _far = value; break;
            case SysReg.ElrEl1: _elr = value; break;
            case SysReg.SpsrEl1: _spsr = value; break;
            case SysReg.VbarEl1: _vbar = value & ~0x7FFUL; break;
            case SysReg.TpidrEl1: _tpidr = value; break;
            case SysReg.ContextidrEl1: _contextidr = value & 0xFFFF_FFFF; break;
            case SysReg.Pan: Pan = (value & SpsrPanBit) != 0; break;
            case SysReg.CntvCtlEl0: _cntvCtl = value & (TimerEnable | TimerImask); break;
            case SysReg.CntvCvalEl0: _cntvCval = value; break;
            default: throw Unsupported("MSR", reg);
        }
    }

    private ulong ReadSystemRegister(in Instruction insn)
    {
        Clock += _costs.SystemRegister;
        Counters.SystemRegisterMoves++;
        return insn.Register switch
        {
            SysReg.MidrEl1 => 0x410F_D0B0,   // Arm Ltd., Cortex-A76 part number 0xD0B (the core the cost table describes)
            SysReg.MpidrEl1 => 1UL << 31 | (ulong)Id, // RES1 bit 31, Aff0 = CPU number
            SysReg.IdAa64Mmfr0El1 => _mmfr0.Value,
            SysReg.IdAa64Mmfr1El1 => 0b0010 | 1UL << 12 | 1UL << 20, // HAFDBS = 2 (AF and dirty state), HPDS = 1, PAN = 1
            SysReg.SctlrEl1 => _sctlr,
            SysReg.TcrEl1 => _tcr,
            SysReg.Ttbr0El1 => _ttbr0,
            SysReg.Ttbr1El1 => _ttbr1,
            SysReg.MairEl1 => _mair,
            SysReg.ParEl1 => _par,
            SysReg.EsrEl1 => _esr,
            SysReg.FarEl1 => _far,
            SysReg.ElrEl1 => _elr,
            SysReg.SpsrEl1 => _spsr,
            SysReg.VbarEl1 => _vbar,
            SysReg.TpidrEl1 => _tpidr,
            SysReg.ContextidrEl1 => _contextidr,
            SysReg.CurrentEl => (ulong)El << 2,
            SysReg.Pan => Pan ? SpsrPanBit : 0,
            SysReg.CntfrqEl0 => (ulong)(_costs.FrequencyHz / 40),
            SysReg.CntvctEl0 => Counter,
            SysReg.CntvCtlEl0 => _cntvCtl | (TimerCondition ? TimerIstatus : 0),
            SysReg.CntvCvalEl0 => _cntvCval,
            _ => throw Unsupported("MRS", insn.Register),
        };
    }

    /// <summary>
    /// Writes the MMU registers. The regime is decoded first, so an unsupported value (a 16 or 64 KiB granule)
    /// fails loudly and leaves every register as it was. Writes do not invalidate the TLB: TCR and MAIR fields
    /// may be cached in it (reference §1.2, pitfall 7), so software must invalidate; only this CPU's micro-TLB,
    /// a host-side shortcut, forgets.
    /// </summary>
    private void SetTranslationRegisters(ulong sctlr, ulong tcr, ulong ttbr0, ulong ttbr1, ulong mair)
    {
        _regime.Redecode(new Sctlr(sctlr), new Tcr(tcr), new Ttbr(ttbr0), new Ttbr(ttbr1), new Mair(mair), _mmfr0);
        (_sctlr, _tcr, _ttbr0, _ttbr1, _mair) = (sctlr, tcr, ttbr0, ttbr1, mair);
        ClearMicroTlb();
    }

    private void ExecuteTlbi(TlbiOp op, ulong xt)
    {
        Counters.CountTlbi(op);
        Clock += _costs.TlbiLocal;
        if (op.IsBroadcast())
        {
            Clock += _machine.BroadcastLatency(Clock);
            _machine.BroadcastTlbi(op, xt, _regime.AsidBits);
        }
        else
        {
            ReceiveTlbi(op, xt, _regime.AsidBits);
        }
    }

    /// <summary>Applies a TLBI to this CPU's TLB, whoever issued it.</summary>
    internal int ReceiveTlbi(TlbiOp op, ulong xt, int asidBits)
    {
        var result = Tlb.Invalidate(op, xt, asidBits);
        Counters.TlbEntriesInvalidated += result.Removed;
        if (result.Removed > 0)
        {
            // The micro-TLB only copies what the TLB holds: forget the copies of what just left it.
            if (result.RemovedBlock || !op.ByVa()) ClearMicroTlb();
            else ForgetMicroPage((xt & 0xFFF_FFFF_FFFF) << 12);
            if (_machine.Checker.Enabled) _machine.Checker.CheckFastPath(this);
        }
        return result.Removed;
    }

    /// <summary>
    /// AT S1E1R/W, S1E0R/W: a walk that neither uses nor fills the TLB, with EL1 or EL0 permissions and
    /// PSTATE.PAN ignored (the PAN-aware forms S1E1RP/WP belong to FEAT_PAN2). The result goes to PAR_EL1, except a
    /// synchronous external abort on the walk, which is taken as a Data Abort (EC 0x25, CM=1, WnR=1) and leaves
    /// PAR_EL1 unchanged (Arm ARM AT instruction behaviour; QEMU cpregs-at.c do_ats_write).
    /// </summary>
    private void ExecuteAt(AtOp op, ulong va)
    {
        Counters.AddressTranslations++;
        Clock += _costs.AddressTranslate;
        var access = op.IsWrite() ? AccessType.Write : AccessType.Read;
        var walk = TableWalker.Walk(_memory, _regime, va, access, new TableWalker.Options(op.IsEl0(), Pan: false, UpdateDescriptors: true));
        Clock += walk.Reads * _costs.WalkRead;
        if (walk.Fault == FaultKind.ExternalAbortOnWalk)
        {
            Counters.CountFault(walk.Fault, walk.Level);
            TakeException(Esr.DataAbort(fromLowerEl: false, walk.Status, write: true, cacheMaintenance: true), Pc, va);
            return;
        }
        _par = walk.IsFault ? Par.Fault(walk.Status).Value : Par.Success(walk.PhysicalAddress(va), walk.Attr, walk.Sh).Value;
    }
}
