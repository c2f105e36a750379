using BitOperations = System.Numerics.BitOperations;
using MiniBSD.Hal;
using MiniBSD.Hal.X86;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Arch.Amd64;

/// <summary>
/// The TLB shootdown protocol of OpenBSD's amd64 pmap.c and vector.S, as it is: the initiator picks the other running
/// CPUs on which the pmap is active (ci_proc_pmap; every CPU for a kernel address), takes the one system-wide
/// shootdown by setting tlb_shoot_wait from 0 to the target count (spinning while another shootdown is in flight),
/// publishes the addresses and the first PCID, sends one IPI per target (x86_fast_ipi), and only then invalidates
/// locally, so both overlap. Each target's handler (Xipi_invlpg_pcid, Xipi_invlrange_pcid, Xipi_invltlb_pcid) runs
/// INVPCID on its own TLB and decrements tlb_shoot_wait; pmap_tlb_shootwait spins until it is 0.
/// </summary>
public sealed partial class PmapSystem
{
    // The words of the shootdown page (.kudata in OpenBSD): tlb_shoot_wait, tlb_shoot_addr1, addr2, first_pcid.
    private const int WaitWord = 0, Addr1Word = 1, Addr2Word = 2, FirstPcidWord = 3;

    /// <summary>When the shootdown in flight started and when its last acknowledgement lands (the counter's timing).</summary>
    private long _shootStart, _lastAckAt;

    /// <summary>Shootdowns started, and the cycles initiators spent waiting for another one to finish.</summary>
    public long Shootdowns { get; private set; }
    public long ShootStartSpinCycles { get; private set; }

    /// <summary>pmap_tlb_shootpage: one page, on the targets and (if <paramref name="shootself"/>) here.</summary>
    private void PmapTlbShootpage(Cpu cpu, Amd64Pmap pm, ulong va, bool shootself)
    {
        ulong mask = Targets(cpu, pm);
        if (mask != 0)
        {
            PmapStartTlbShoot(cpu, mask, pm.IsKernel ? Pcid.Kern : Pcid.Proc, va, 0);
            SendIpis(cpu, mask, Vector.IpiInvlpg);
        }
        if (!shootself) return;
        if (pm.IsKernel) Invpcid(cpu, InvpcidType.Address, Pcid.Kern, va);
        Invpcid(cpu, InvpcidType.Address, Pcid.Proc, va);
    }

    /// <summary>pmap_tlb_shootrange: every page of [sva, eva), sparse or not.</summary>
    private void PmapTlbShootrange(Cpu cpu, Amd64Pmap pm, ulong sva, ulong eva, bool shootself)
    {
        ulong mask = Targets(cpu, pm);
        if (mask != 0)
        {
            PmapStartTlbShoot(cpu, mask, pm.IsKernel ? Pcid.Kern : Pcid.Proc, sva, eva);
            SendIpis(cpu, mask, Vector.IpiInvlrange);
        }
        if (!shootself) return;
        for (ulong va = sva; va < eva; va += PageSize)
        {
            if (pm.IsKernel) Invpcid(cpu, InvpcidType.Address, Pcid.Kern, va);
            Invpcid(cpu, InvpcidType.Address, Pcid.Proc, va);
        }
    }

    /// <summary>pmap_tlb_shoottlb: all of PCID_PROC (user pmaps only).</summary>
    private void PmapTlbShoottlb(Cpu cpu, Amd64Pmap pm, bool shootself)
    {
        Kassert(!pm.IsKernel, "pmap_tlb_shoottlb: not for the kernel pmap");
        ulong mask = Targets(cpu, pm);
        if (mask != 0)
        {
            PmapStartTlbShoot(cpu, mask, Pcid.Proc, 0, 0);
            SendIpis(cpu, mask, Vector.IpiInvltlb);
        }
        if (shootself) Invpcid(cpu, InvpcidType.SingleContext, Pcid.Proc, 0);
    }

    /// <summary>
    /// pmap_tlb_shootwait: spins (CPU_BUSY_CYCLE) until tlb_shoot_wait is 0, that is until the last target of the
    /// shootdown in flight, whoever started it, has acknowledged.
    /// </summary>
    private void PmapTlbShootwait(Cpu cpu)
    {
        if (cpu.Clock >= _shootStart && cpu.Clock < _lastAckAt) cpu.AdvanceClock(_lastAckAt - cpu.Clock);
        ulong left = ReadWord(cpu, WaitWord);   // the spin's last read
        Kassert(left == 0, "pmap_tlb_shootwait: tlb_shoot_wait is {0} after every acknowledgement", left);
    }

    /// <summary>The u_int64_t target mask: every other CPU on which the pmap is active (all of them for the kernel's).</summary>
    private ulong Targets(Cpu self, Amd64Pmap pm)
    {
        Kassert(_procPmap.Length <= 64, "pmap: the shootdown mask holds 64 CPUs");
        ulong mask = 0;
        for (int i = 0; i < _procPmap.Length; i++)
            if (i != self.Id && PmapIsActive(pm, i)) mask |= 1UL << i;
        return mask;
    }

    /// <summary>pmap_is_active: the kernel pmap, or the pmap CPU <paramref name="cpu"/> runs (its ci_proc_pmap).</summary>
    private bool PmapIsActive(Amd64Pmap pm, int cpu) => pm.IsKernel || _procPmap[cpu] == pm;

    /// <summary>
    /// pmap_start_tlb_shoot: spin until atomic_cas_ulong(&amp;tlb_shoot_wait, 0, targets) succeeds (one shootdown at a
    /// time system-wide), then publish the first PCID and the addresses.
    /// </summary>
    private void PmapStartTlbShoot(Cpu cpu, ulong mask, ushort firstPcid, ulong addr1, ulong addr2)
    {
        if (cpu.Clock >= _shootStart && cpu.Clock < _lastAckAt)
        {
            ShootStartSpinCycles += _lastAckAt - cpu.Clock;
            cpu.AdvanceClock(_lastAckAt - cpu.Clock);
        }
        Kassert(ReadWord(cpu, WaitWord) == 0, "pmap_start_tlb_shoot: tlb_shoot_wait is not 0");
        WriteWord(cpu, WaitWord, (ulong)BitOperations.PopCount(mask));
        WriteWord(cpu, FirstPcidWord, firstPcid);
        WriteWord(cpu, Addr1Word, addr1);
        WriteWord(cpu, Addr2Word, addr2);
        _shootStart = _lastAckAt = cpu.Clock;
        Shootdowns++;
    }

    /// <summary>x86_fast_ipi per target: a WRMSR of the x2APIC ICR each (a unicast loop, linear in the targets).</summary>
    private static void SendIpis(Cpu cpu, ulong mask, int vector)
    {
        for (ulong m = mask; m != 0; m &= m - 1)
            cpu.Wrmsr(Msr.X2ApicIcr, (ulong)BitOperations.TrailingZeroCount(m) << 32 | (uint)vector);
    }

    /// <summary>
    /// The IDT's gate for the shootdown vectors (vector.S Xipi_*_pcid), run on the target: EOI first, the
    /// invalidations for the first PCID and the next (a kernel address: PCID_KERN and PCID_PROC; a user one: PCID_PROC
    /// and PCID_PROC_INTEL), then lock decq tlb_shoot_wait, which moves the shared line (the acks serialise), and IRETQ.
    /// </summary>
    private void Xipi(Cpu cpu, int vector, long arrivedAt)
    {
        long entered = cpu.Clock;
        Interrupts?.EnterInterrupt(cpu);
        cpu.Wrmsr(Msr.X2ApicEoi, 0);
        ushort first = (ushort)ReadWord(cpu, FirstPcidWord);
        ulong addr1 = ReadWord(cpu, Addr1Word), addr2 = ReadWord(cpu, Addr2Word);
        switch (vector)
        {
            case Vector.IpiInvltlb:
                Invpcid(cpu, InvpcidType.SingleContext, Pcid.Proc, 0);
                Invpcid(cpu, InvpcidType.SingleContext, Pcid.ProcIntel, 0);
                break;
            case Vector.IpiInvlpg:
                Invpcid(cpu, InvpcidType.Address, first, addr1);
                Invpcid(cpu, InvpcidType.Address, (ushort)(first + 1), addr1);
                break;
            case Vector.IpiInvlrange:
                for (ulong va = addr1; va < addr2; va += PageSize)
                {
                    Invpcid(cpu, InvpcidType.Address, first, va);
                    Invpcid(cpu, InvpcidType.Address, (ushort)(first + 1), va);
                }
                break;
            default:
                throw Panic($"Xipi: vector 0x{vector:X} on cpu{cpu.Id} is not a shootdown");
        }
        WriteWord(cpu, WaitWord, ReadWord(cpu, WaitWord) - 1);   // lock decq tlb_shoot_wait
        cpu.AdvanceClock(_machine.Costs.IpiAck);
        _lastAckAt = Math.Max(_lastAckAt + _machine.Costs.IpiAck, arrivedAt + (cpu.Clock - entered));
        cpu.Execute(X86Code.Iretq);
        Interrupts?.LeaveInterrupt(cpu);
    }

    /// <summary>invpcid(type, pcid, va): the 16-byte descriptor stored in this CPU's page, then INVPCID reads it.</summary>
    private void Invpcid(Cpu cpu, InvpcidType type, ushort pcid, ulong va)
    {
        ulong descriptor = Locore.DirectMap(_machine, Boot.PerCpuPages + (ulong)cpu.Id * PageSize);
        if (!cpu.TryWrite64(descriptor, pcid) || !cpu.TryWrite64(descriptor + 8, va)) DirectMapFault(cpu, descriptor, "write");
        cpu.Invpcid(type, descriptor);
    }

    private ulong ReadWord(Cpu cpu, int word) => ReadPte(cpu, Boot.ShootPage + 8 * (ulong)word);

    private void WriteWord(Cpu cpu, int word, ulong value) => WritePte(cpu, Boot.ShootPage + 8 * (ulong)word, value);
}
