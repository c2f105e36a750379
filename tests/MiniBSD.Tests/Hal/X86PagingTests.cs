using MiniBSD.Hal;
using MiniBSD.Hal.Check;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Tlb;
using MiniBSD.Hal.X86;

namespace MiniBSD.Tests.Hal;

/// <summary>The amd64 CPU: the 4-level walk's exact error codes and A/D updates, the PCID TLB and its invalidations.</summary>
public sealed class X86PagingTests
{
    private const ulong Pml4 = 0x4000_1000, Pdpt = 0x4000_2000, Pd = 0x4000_3000, Pt = 0x4000_4000, Frame = 0x4010_0000;
    private const ulong UserVa = 0x0000_0000_4020_3000;   // PML4[0] PDPT[1] PD[1] PT[3]

    /// <summary>An amd64 machine whose cpu0 is in long mode with paging on; UserVa maps Frame through 4 levels.</summary>
    private static (Machine M, Cpu Cpu) LongMode(ulong leafFlags = PageEntry.RW | PageEntry.US, ulong cr4Extra = 0, int cpus = 1)
    {
        var m = new Machine(new MachineConfig { Arch = Arch.Amd64, Cpus = cpus, MemoryBytes = 16 * MachineConfig.MiB, CheckCoherence = true });
        m.Memory.Write64(Pml4 + 8 * 0, Pdpt | PageEntry.P | PageEntry.RW | PageEntry.US);
        m.Memory.Write64(Pdpt + 8 * 1, Pd | PageEntry.P | PageEntry.RW | PageEntry.US);
        m.Memory.Write64(Pd + 8 * 1, Pt | PageEntry.P | PageEntry.RW | PageEntry.US);
        m.Memory.Write64(Pt + 8 * 3, Frame | PageEntry.P | leafFlags);
        foreach (var cpu in m.Cpus)
        {
            cpu.Wrmsr(Msr.Efer, Efer.LmeBit | Efer.NxeBit | Efer.SceBit);
            cpu.Execute(X86Code.MovCr4Rax, new(Rax: Cr4.PaeBit | Cr4.PgeBit | cr4Extra));
            cpu.WriteCr3(Pml4);
            cpu.Execute(X86Code.MovCr0Rax, new(Rax: Cr0.PeBit | Cr0.PgBit | Cr0.WpBit));
        }
        return (m, m.Cpus[0]);
    }

    private static void ToUser(Cpu cpu) => cpu.Execute(X86Code.Sysretq, new(Rcx: 0x40_0000, R11: RflagsBits.IF));

    [Fact]
    public void A_user_load_walks_four_levels_sets_accessed_bits_and_a_store_sets_dirty()
    {
        var (m, cpu) = LongMode();
        m.Memory.Write64(Frame + 0x18, 0x1122_3344_5566_7788);
        ToUser(cpu);
        Assert.True(cpu.TryRead64(UserVa + 0x18, out ulong v));
        Assert.Equal(0x1122_3344_5566_7788UL, v);
        Assert.Equal(1, cpu.Counters.WalksWithReads(4));
        Assert.Equal(Frame | PageEntry.P | PageEntry.RW | PageEntry.US | PageEntry.A, m.Memory.Read64(Pt + 8 * 3));
        Assert.Equal(Pt | PageEntry.P | PageEntry.RW | PageEntry.US | PageEntry.A, m.Memory.Read64(Pd + 8 * 1));
        Assert.True(cpu.TryWrite64(UserVa, 7));   // a clean TLB entry: the store walks again to set D
        Assert.Equal(Frame | PageEntry.P | PageEntry.RW | PageEntry.US | PageEntry.A | PageEntry.D, m.Memory.Read64(Pt + 8 * 3));
        Assert.Equal(2, cpu.Counters.WalksWithReads(4));
        Assert.Empty(m.Checker.Violations);
    }

    [Theory]
    [InlineData(PageEntry.US, 'w', 3, 0x7u)]                          // user store to a read-only user page: P W U
    [InlineData(PageEntry.RW, 'r', 3, 0x5u)]                          // user load of a supervisor page: P U
    [InlineData(PageEntry.RW | PageEntry.US | PageEntry.XD, 'x', 3, 0x15u)]   // user fetch from an XD page: P U I
    [InlineData(PageEntry.US, 'w', 0, 0x3u)]                          // supervisor store to a read-only page with WP=1: P W
    public void Protection_faults_give_the_sdm_error_code_and_cr2(ulong leaf, char access, int cpl, uint error)
    {
        var (m, cpu) = LongMode(leaf);
        if (cpl == 3) ToUser(cpu);
        bool ok = access switch { 'r' => cpu.TryRead64(UserVa, out _), 'w' => cpu.TryWrite64(UserVa, 1), _ => cpu.TryFetch(UserVa) };
        Assert.False(ok);
        Assert.Equal(new InterruptFrame(Vector.PF, error, 0x40_0000 * (ulong)(cpl == 3 ? 1 : 0), cpl, cpl == 3 ? RflagsBits.IF | RflagsBits.Reserved1 : RflagsBits.Reserved1), cpu.Frame);
        Assert.Equal(UserVa, cpu.ReadCr2());
        Assert.Equal(0, cpu.Cpl);
        Assert.Empty(m.Checker.Violations);
    }

    [Fact]
    public void Not_present_reserved_bits_and_non_canonical_addresses()
    {
        var (m, cpu) = LongMode();
        ToUser(cpu);
        Assert.False(cpu.TryRead64(0x0000_0080_0000_0000, out _));                 // PML4[1] not present
        Assert.Equal((uint)PageFaultError.User, cpu.Frame.ErrorCode);
        m.Memory.Write64(Pt + 8 * 3, Frame | PageEntry.P | PageEntry.US | 1UL << 50);   // bit 50 above MAXPHYADDR 48
        ToUser(cpu);
        Assert.False(cpu.TryWrite64(UserVa, 0));
        Assert.Equal(0xFu, cpu.Frame.ErrorCode);                                      // P W U RSVD
        ToUser(cpu);
        Assert.False(cpu.TryRead64(0x0000_8000_0000_0000, out _));                  // bit 47 set, 63:48 clear
        Assert.Equal(new InterruptFrame(Vector.GP, 0, 0x40_0000, 3, RflagsBits.IF | RflagsBits.Reserved1), cpu.Frame);
        Assert.Equal(UserVa, cpu.Cr2);                                                // #GP leaves CR2 as the last #PF set it
    }

    [Fact]
    public void Smap_blocks_supervisor_access_to_user_pages_unless_stac_and_smep_blocks_fetch()
    {
        var (m, cpu) = LongMode(cr4Extra: Cr4.SmapBit | Cr4.SmepBit);
        Assert.False(cpu.TryRead64(UserVa, out _));
        Assert.Equal(0x1u, cpu.Frame.ErrorCode);
        cpu.Execute(X86Code.Stac);
        Assert.True(cpu.TryRead64(UserVa, out _));
        cpu.Execute(X86Code.Clac);
        Assert.False(cpu.TryFetch(UserVa));
        Assert.Equal(0x11u, cpu.Frame.ErrorCode);                                     // P I
        Assert.Empty(m.Checker.Violations);
    }

    [Fact]
    public void Privileged_instructions_at_cpl3_take_gp_and_stac_takes_ud()
    {
        var (_, cpu) = LongMode();
        cpu.Execute([0x0F, 0xFF]);                                             // no instruction (UD0 needs a ModRM): #UD
        Assert.Equal(Vector.UD, cpu.Frame.Vector);
        ToUser(cpu);
        cpu.WriteCr3(Pml4);
        Assert.Equal(Vector.GP, cpu.Frame.Vector);
        ToUser(cpu);
        cpu.Execute(X86Code.Stac);
        Assert.Equal(Vector.UD, cpu.Frame.Vector);
    }

    [Fact]
    public void Invlpg_removes_the_current_pcid_and_global_entries_of_the_page_only()
    {
        var (m, cpu) = LongMode(PageEntry.RW | PageEntry.US | PageEntry.G, Cr4.PcideBit);
        Assert.True(cpu.TryRead64(UserVa, out _));             // a global entry
        cpu.Invlpg(UserVa);
        Assert.Equal(1, cpu.Counters.X86Invalidations(X86Flush.Invlpg));
        Assert.Equal(0, cpu.Tlb.Count);
        Assert.Empty(m.Checker.Violations);
    }

    [Fact]
    public void Cr3_write_flushes_the_new_pcid_unless_bit_63_and_globals_survive_until_a_pge_toggle()
    {
        var (m, cpu) = LongMode(PageEntry.RW | PageEntry.US, Cr4.PcideBit);
        cpu.WriteCr3(Cr3.Create(Pml4, pcid: 1).Value);
        Assert.True(cpu.TryRead64(UserVa, out _));
        Assert.Equal(1, cpu.Tlb.Count);
        cpu.WriteCr3(Cr3.Create(Pml4, pcid: 2).Value);             // another PCID: PCID 1's entry stays
        Assert.Equal(1, cpu.Tlb.Count);
        cpu.WriteCr3(Cr3.Create(Pml4, pcid: 1, noFlush: true).Value);
        Assert.Equal(1, cpu.Tlb.Count);
        Assert.Equal(Cr3.Create(Pml4, 1).Value, cpu.ReadCr3()); // bit 63 is not stored
        cpu.WriteCr3(Cr3.Create(Pml4, pcid: 1).Value);
        Assert.Equal(0, cpu.Tlb.Count);
        m.Memory.Write64(Pt + 8 * 3, Frame | PageEntry.P | PageEntry.RW | PageEntry.US | PageEntry.G);
        Assert.True(cpu.TryRead64(UserVa, out _));
        cpu.WriteCr3(Cr3.Create(Pml4, pcid: 1).Value);
        Assert.Equal(1, cpu.Tlb.Count);                         // G survives MOV to CR3
        cpu.Execute(X86Code.MovCr4Rax, new(Rax: Cr4.PaeBit | Cr4.PcideBit));
        Assert.Equal(0, cpu.Tlb.Count);                         // PGE 1 -> 0 flushes everything
        Assert.Empty(m.Checker.Violations);
    }

    [Theory]
    [InlineData(InvpcidType.Address, 1, 1)]          // the page of PCID 1, not the global one
    [InlineData(InvpcidType.SingleContext, 1, 1)]
    [InlineData(InvpcidType.AllIncludingGlobal, 0, 2)]
    [InlineData(InvpcidType.AllExceptGlobal, 1, 1)]
    public void Invpcid_types_remove_what_the_sdm_says(InvpcidType type, int left, int removed)
    {
        var (m, cpu) = LongMode(PageEntry.RW | PageEntry.US, Cr4.PcideBit);
        const ulong globalVa = 0x0000_0000_4020_4000;
        m.Memory.Write64(Pt + 8 * 4, (Frame + 0x1000) | PageEntry.P | PageEntry.RW | PageEntry.US | PageEntry.G);
        cpu.WriteCr3(Cr3.Create(Pml4, pcid: 1).Value);
        Assert.True(cpu.TryRead64(UserVa, out _));
        Assert.True(cpu.TryRead64(globalVa, out _));
        m.Memory.Write64(Frame + 0x800, 1);
        m.Memory.Write64(Frame + 0x808, UserVa);
        cpu.Invpcid(type, UserVa + 0x800);
        Assert.Equal(left, cpu.Tlb.Count);
        Assert.Equal(removed, cpu.Counters.TlbEntriesInvalidated);
        Assert.Empty(m.Checker.Violations);
    }

    [Fact]
    public void The_checker_catches_a_changed_pte_without_invlpg_and_a_pcid_reused_without_a_flush()
    {
        var (m, cpu) = LongMode(PageEntry.RW | PageEntry.US, Cr4.PcideBit);
        cpu.WriteCr3(Cr3.Create(Pml4, pcid: 1).Value);
        Assert.True(cpu.TryRead(UserVa, 4, out _));                            // cached under PCID 1
        m.Memory.Write64(Pt + 8 * 3, (Frame + 0x1000) | PageEntry.P | PageEntry.RW | PageEntry.US);   // remapped, no INVLPG
        Assert.True(cpu.TryRead(UserVa, 4, out _));
        var stale = Assert.Single(m.Checker.Violations);
        Assert.Equal(CoherenceRule.StaleHit, stale.Rule);
        Assert.Equal((ushort)1, stale.Asid);                                   // the PCID, in the ASID's place
        m.Checker.Clear();
        cpu.WriteCr3(Cr3.Create(Pml4, pcid: 1, noFlush: true).Value);         // "another address space" kept PCID 1's entries
        m.Checker.PcidLoaded(cpu, 1);
        Assert.Equal(CoherenceRule.AsidReusedWithStaleEntries, Assert.Single(m.Checker.Violations).Rule);
        m.Checker.Clear();
        cpu.WriteCr3(Cr3.Create(Pml4, pcid: 1).Value);                         // without bit 63: flushed
        m.Checker.PcidLoaded(cpu, 1);
        Assert.Empty(m.Checker.Violations);
        m.Checker.PcidLoaded(m.Cpus[0], 2);
        Assert.Empty(m.Checker.Violations);
    }

    [Fact]
    public void Every_system_instruction_decodes_with_iced_to_its_mnemonic()
    {
        Assert.Equal("mov cr3,rax", X86Decoder.Disassemble(X86Code.MovCr3Rax));
        Assert.Equal("invlpg [rax]", X86Decoder.Disassemble(X86Code.InvlpgRax));
        Assert.Equal("invpcid rax,[rcx]", X86Decoder.Disassemble(X86Code.InvpcidRaxRcx));
        Assert.Equal("wrmsr", X86Decoder.Disassemble(X86Code.Wrmsr));
        Assert.Equal("sysretq", X86Decoder.Disassemble(X86Code.Sysretq));
        Assert.Equal("mov rax,cr2", X86Decoder.Disassemble(X86Code.MovRaxCr2));
    }

    [Fact]
    public void Syscall_and_sysret_move_between_cpl3_and_cpl0()
    {
        var (_, cpu) = LongMode();
        cpu.Wrmsr(Msr.Lstar, 0xFFFF_FFFF_8000_1000);
        cpu.Wrmsr(Msr.Sfmask, RflagsBits.IF | RflagsBits.AC);
        ToUser(cpu);
        Assert.Equal(3, cpu.Cpl);
        cpu.Pc = 0x40_0100;
        cpu.Execute(X86Code.Syscall);
        Assert.Equal(0, cpu.Cpl);
        Assert.Equal((0x40_0102UL, RflagsBits.IF | RflagsBits.Reserved1), cpu.SyscallSaved);
        Assert.Equal(0xFFFF_FFFF_8000_1000UL, cpu.Pc);
        Assert.Equal(RflagsBits.Reserved1, cpu.Rflags);
    }

    [Fact]
    public void An_ipi_runs_the_targets_handler_there()
    {
        var (m, cpu) = LongMode(cpus: 2);
        var other = m.Cpus[1];
        Assert.True(other.TryRead64(UserVa, out _));
        int seen = -1;
        long arrived = 0;
        other.Idt = (c, vector, at) => { seen = vector; arrived = at; c.Invlpg(UserVa); c.Execute(X86Code.Iretq); };
        cpu.Wrmsr(Msr.X2ApicIcr, 1UL << 32 | (uint)Vector.IpiInvlpg);
        Assert.Equal(Vector.IpiInvlpg, seen);
        Assert.Equal(0, other.Tlb.Count);
        Assert.Equal(1, cpu.Counters.IpisSent);
        Assert.Equal(1, other.Counters.IpisReceived);
        Assert.Equal(cpu.Clock + m.Costs.IpiDelivery, arrived);
        Assert.Equal(0, other.Cpl);
    }
}
