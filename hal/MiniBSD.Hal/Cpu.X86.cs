using Iced.Intel;
using MiniBSD.Hal.Tlb;
using MiniBSD.Hal.X86;

namespace MiniBSD.Hal;

/// <summary>What an x86 exception or interrupt pushed on the kernel stack (SDM Vol. 3A §6.14.1), held by the CPU.</summary>
public readonly record struct InterruptFrame(int Vector, uint ErrorCode, ulong Rip, int Cpl, ulong Rflags);

/// <summary>
/// The IDT's gates, as LIDT makes them: the kernel's handler for a vector taken on <paramref name="cpu"/>.
/// <paramref name="arrivedAt"/> is the clock at which an IPI reached the CPU (its sender's clock plus delivery).
/// </summary>
public delegate void InterruptGate(Cpu cpu, int vector, long arrivedAt);

/// <summary>
/// The x86-64 half of a CPU (<see cref="Arch.Amd64"/>): CR0, CR2, CR3, CR4, EFER, RFLAGS.AC, CPL, the SYSCALL MSRs and
/// an x2APIC to send IPIs. System instructions are executed from their bytes, decoded by Iced
/// (<see cref="Execute(ReadOnlySpan{byte}, X86Operands)"/>); CPL 3 is the arm64 side's EL0, CPL 0 its EL1, so the
/// fast path and the TLB are shared.
/// </summary>
public sealed partial class Cpu
{
    private readonly X86Decoder? _x86;
    private ulong _cr0, _cr2, _cr3, _cr4, _efer, _rflags = X86.RflagsBits.Reserved1;
    private ulong _lstar, _star, _sfmask, _gsBase, _kernelGsBase;
    private PagingState _paging;

    public Arch Arch { get; }
    public bool IsAmd64 => _x86 is not null;

    public Cr0 Cr0 => new(_cr0);
    public ulong Cr2 => _cr2;
    public Cr3 Cr3 => new(_cr3);
    public Cr4 Cr4 => new(_cr4);
    public Efer Efer => new(_efer);
    public ulong Rflags => _rflags;
    /// <summary>The current privilege level: 3 in user mode, 0 in the kernel.</summary>
    public int Cpl => El == 0 ? 3 : 0;
    public PagingState Paging => _paging;
    /// <summary>What the last exception or interrupt pushed.</summary>
    public InterruptFrame Frame { get; private set; }
    /// <summary>RCX and R11 as the last SYSCALL left them: the return RIP and the saved RFLAGS.</summary>
    public (ulong Rcx, ulong R11) SyscallSaved { get; private set; }
    /// <summary>The interrupt descriptor table's handlers (LIDT); null until the kernel loads one.</summary>
    public InterruptGate? Idt { get; set; }

    /// <summary>
    /// Executes one x86 system instruction from its bytes (decoded with Iced) with <paramref name="regs"/> as its
    /// register operands; returns what it writes to RAX (MOV from a CR, EDX:EAX of RDMSR as one value, 0 otherwise). A
    /// privileged instruction at CPL 3 takes #GP(0) (STAC/CLAC: #UD); an encoding MiniBSD does not implement throws
    /// <see cref="UnsupportedFeatureException"/>.
    /// </summary>
    public ulong Execute(ReadOnlySpan<byte> code, X86Operands regs = default)
    {
        if (_x86 is null) throw new UnsupportedFeatureException($"{Arch.Name()} CPU: x86 instruction bytes {Convert.ToHexString(code)}");
        var insn = _x86.Decode(code);
        _machine.Trace?.OnX86Instruction(Id, Clock, code[..insn.Length], in insn, in regs);
        Clock += _costs.SystemRegister;
        switch (insn.Code)
        {
            case Code.INVALID: return X86Exception(Vector.UD, null);   // bytes that are no instruction: #UD
            case Code.Syscall: EnterSyscall(insn.Length); return 0;
            case Code.Pause: return 0;   // a spin loop's hint: who waits is charged the time waited
            case Code.Mfence or Code.Lfence or Code.Sfence: Clock += _costs.Dsb; return 0;
        }
        // IRETQ at CPL 3 is legal on hardware (a return within user mode), but this CPU keeps the interrupt frame in
        // itself rather than on a stack, so there is nothing for a user-mode IRETQ to pop.
        if (Cpl == 3 && insn.Code == Code.Iretq) throw new UnsupportedFeatureException("IRETQ at CPL 3: MiniBSD holds the interrupt frame in the CPU, not on a user stack");
        if (Cpl == 3) return insn.Code is Code.Stac or Code.Clac ? X86Exception(Vector.UD, null) : X86Exception(Vector.GP, 0);
        switch (insn.Code)
        {
            case Code.Mov_cr_r64: WriteCr(insn.Op0Register, Gpr(insn.Op1Register, regs)); return 0;
            case Code.Mov_r64_cr: return ReadCr(insn.Op1Register);
            case Code.Invlpg_m: DoInvlpg(Gpr(insn.MemoryBase, regs) + insn.MemoryDisplacement64); return 0;
            case Code.Invpcid_r64_m128: DoInvpcid(Gpr(insn.Op0Register, regs), Gpr(insn.MemoryBase, regs) + insn.MemoryDisplacement64); return 0;
            case Code.Wrmsr: WriteMsr((uint)regs.Rcx, (regs.Rdx << 32) | (uint)regs.Rax); return 0;
            case Code.Rdmsr: return ReadMsr((uint)regs.Rcx);
            case Code.Sysretq: ReturnToUser(regs.Rcx, regs.R11); return 0;
            case Code.Iretq: InterruptReturn(); return 0;
            case Code.Swapgs: (_gsBase, _kernelGsBase) = (_kernelGsBase, _gsBase); return 0;
            case Code.Stac: _rflags |= X86.RflagsBits.AC; return 0;
            case Code.Clac: _rflags &= ~X86.RflagsBits.AC; return 0;
            default: throw new UnsupportedFeatureException($"x86 {Convert.ToHexString(code)}: {X86Decoder.Format(insn)} is not implemented");
        }
    }

    // Typed helpers: each executes the real bytes.
    public void WriteCr3(ulong value) => Execute(X86Code.MovCr3Rax, new(Rax: value));
    public ulong ReadCr3() => Execute(X86Code.MovRaxCr3);
    public ulong ReadCr2() => Execute(X86Code.MovRaxCr2);
    public void Invlpg(ulong va) => Execute(X86Code.InvlpgRax, new(Rax: va));
    /// <summary>invpcid rax, [rcx] with the descriptor the caller stored at <paramref name="descriptorVa"/>.</summary>
    public void Invpcid(InvpcidType type, ulong descriptorVa) => Execute(X86Code.InvpcidRaxRcx, new(Rax: (ulong)type, Rcx: descriptorVa));
    public void Wrmsr(uint msr, ulong value) => Execute(X86Code.Wrmsr, new(Rax: value & 0xFFFF_FFFF, Rcx: msr, Rdx: value >> 32));
    public ulong Rdmsr(uint msr) => Execute(X86Code.Rdmsr, new(Rcx: msr));

    private static ulong Gpr(Register r, in X86Operands regs) => r switch
    {
        Register.RAX or Register.EAX => regs.Rax,
        Register.RCX or Register.ECX => regs.Rcx,
        Register.RDX or Register.EDX => regs.Rdx,
        Register.R11 => regs.R11,
        Register.None => 0,
        _ => throw new UnsupportedFeatureException($"x86 register operand {r}: MiniBSD passes RAX, RCX, RDX and R11"),
    };

    private ulong ReadCr(Register cr) => cr switch
    {
        Register.CR0 => _cr0,
        Register.CR2 => _cr2,
        Register.CR3 => _cr3,
        Register.CR4 => _cr4,
        _ => throw new UnsupportedFeatureException($"mov from {cr}"),
    };

    /// <summary>MOV to CR0/CR3/CR4 with the TLB effects of SDM §4.10.4.1.</summary>
    private void WriteCr(Register cr, ulong value)
    {
        Counters.SystemRegisterMoves++;
        switch (cr)
        {
            case Register.CR0:
                if (new Cr0(_cr0).Pg && !new Cr0(value).Pg) FlushX86(X86Flush.InvpcidAllGlobal, 0, 0);
                _cr0 = value;
                break;
            case Register.CR3:
                bool pcide = new Cr4(_cr4).Pcide;
                _cr3 = value & ~X86.Cr3.NoFlush;   // bit 63 is not stored
                Clock += _costs.Cr3Write;
                if (!pcide || (value & X86.Cr3.NoFlush) == 0) FlushX86(X86Flush.InvpcidSingle, 0, new Cr3(_cr3).Pcid(pcide));
                break;
            case Register.CR4:
                var (old, next) = (new Cr4(_cr4), new Cr4(value));
                if (next.Pcide && !old.Pcide && (_cr3 & 0xFFF) != 0) { X86Exception(Vector.GP, 0); return; }   // SDM §4.10.1
                _cr4 = value;
                if (old.Pge != next.Pge || (old.Pcide && !next.Pcide) || (next.Smep && !old.Smep)) FlushX86(X86Flush.InvpcidAllGlobal, 0, 0);
                break;
            default:
                throw new UnsupportedFeatureException($"mov to {cr}");
        }
        _paging = new PagingState(new Cr0(_cr0), new Cr3(_cr3), new Cr4(_cr4), new Efer(_efer), _machine.Config.PaBits);
        ClearMicroTlb();
    }

    /// <summary>INVLPG m: this PCID's entries and the global entries of the page; a non-canonical address is a no-op.</summary>
    private void DoInvlpg(ulong va)
    {
        Counters.CountInvalidation(X86Flush.Invlpg);
        Clock += _costs.Invlpg;
        if (PagingWalker.IsCanonical(va)) FlushX86(X86Flush.Invlpg, va, _paging.Pcid);
    }

    /// <summary>
    /// INVPCID type, m128 (SDM Vol. 2): the descriptor is read from memory (PCID in [11:0], the address in [127:64]).
    /// #GP(0) for a type above 3, descriptor bits [63:12] set, a non-canonical type-0 address, or a non-zero PCID
    /// for types 0 and 1 while CR4.PCIDE = 0.
    /// </summary>
    private void DoInvpcid(ulong type, ulong descriptorVa)
    {
        Clock += _costs.Invpcid;
        if (!TryRead64(descriptorVa, out ulong low) || !TryRead64(descriptorVa + 8, out ulong address)) return;   // a #PF was taken
        ushort pcid = (ushort)(low & 0xFFF);
        if (type > 3 || (low >> 12) != 0 || (type == 0 && !PagingWalker.IsCanonical(address)) || (type <= 1 && pcid != 0 && !Cr4.Pcide))
        {
            X86Exception(Vector.GP, 0);
            return;
        }
        var op = (InvpcidType)type switch
        {
            InvpcidType.Address => X86Flush.InvpcidAddress,
            InvpcidType.SingleContext => X86Flush.InvpcidSingle,
            InvpcidType.AllIncludingGlobal => X86Flush.InvpcidAllGlobal,
            _ => X86Flush.InvpcidAll,
        };
        Counters.CountInvalidation(op);
        FlushX86(op, address, pcid);
    }

    /// <summary>
    /// Applies an x86 invalidation to this CPU's TLB and forgets the fast path's copies of what went. Unlike a TLBI, it
    /// is not a point where the checker looks at the other copies: x86 software changes a whole range of PTEs and then
    /// invalidates it page by page (pmap_tlb_shootrange), so the pages not yet invalidated are legitimately stale until
    /// the sequence ends; the checker looks at the next exception entry or return instead.
    /// </summary>
    private void FlushX86(X86Flush op, ulong va, ushort pcid)
    {
        var result = Tlb.Invalidate(op, va & 0x00FF_FFFF_FFFF_FFFF, pcid);
        Counters.TlbEntriesInvalidated += result.Removed;
        if (result.Removed == 0) return;
        if (result.RemovedBlock || op is not (X86Flush.Invlpg or X86Flush.InvpcidAddress)) ClearMicroTlb();
        else ForgetMicroPage(va & 0x00FF_FFFF_FFFF_FFFF);
    }

    private void WriteMsr(uint msr, ulong value)
    {
        Counters.SystemRegisterMoves++;
        switch (msr)
        {
            case X86.Msr.Efer:
                // LMA follows LME once paging is on (SDM §9.8.5); MiniBSD enters long mode with both.
                _efer = (value & (Efer.SceBit | Efer.LmeBit | Efer.NxeBit)) | ((value & Efer.LmeBit) != 0 ? Efer.LmaBit : 0);
                _paging = new PagingState(new Cr0(_cr0), new Cr3(_cr3), new Cr4(_cr4), new Efer(_efer), _machine.Config.PaBits);
                ClearMicroTlb();
                break;
            case X86.Msr.Star: _star = value; break;
            case X86.Msr.Lstar: _lstar = value; break;
            case X86.Msr.Sfmask: _sfmask = value & 0xFFFF_FFFF; break;
            case X86.Msr.GsBase: _gsBase = value; break;
            case X86.Msr.KernelGsBase: _kernelGsBase = value; break;
            case X86.Msr.X2ApicIcr: SendIpi((int)(value >> 32), (int)(value & 0xFF)); break;
            case X86.Msr.X2ApicEoi: break;
            case X86.Msr.TscDeadline: _tscDeadline = value; break;
            default: throw new UnsupportedFeatureException($"wrmsr 0x{msr:X}");
        }
    }

    private ulong ReadMsr(uint msr) => msr switch
    {
        X86.Msr.Efer => _efer,
        X86.Msr.Star => _star,
        X86.Msr.Lstar => _lstar,
        X86.Msr.Sfmask => _sfmask,
        X86.Msr.GsBase => _gsBase,
        X86.Msr.KernelGsBase => _kernelGsBase,
        X86.Msr.TscDeadline => _tscDeadline,
        _ => throw new UnsupportedFeatureException($"rdmsr 0x{msr:X}"),
    };
}
