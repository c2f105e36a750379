using MiniBSD.Hal;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Registers;
using MiniBSD.Hal.Tlb;

namespace MiniBSD.Tests.Hal;

/// <summary>What each TLBI removes, on which CPUs (reference §4.2), and the TLB's own behaviour.</summary>
public sealed class TlbTests
{
    private const ulong VaG = 0xFFFF_0000_0000_5000;   // global (kernel)
    private const ulong VaU = 0x0000_0000_0040_0000;   // non-global, cached under ASIDs 1 and 2
    private const ulong VaU2 = 0x0000_0000_0040_1000;  // non-global, ASID 1 only
    private const ulong Data = 0x4200_0000;

    private static MmuFixture Populated(int cpus = 3)
    {
        var f = new MmuFixture(cpus);
        f.Map(f.Root1, VaG, 3, Descriptor.Page(Data, 0b00));
        f.Map(f.Root0, VaU, 3, Descriptor.Page(Data + 0x1000, 0b00, ng: true));
        f.Map(f.Root0, VaU2, 3, Descriptor.Page(Data + 0x2000, 0b00, ng: true));
        foreach (var cpu in f.Machine.Cpus)
        {
            f.Enable(cpu, asid: 2);
            Assert.True(cpu.TryRead64(VaU, out _));
            cpu.Msr(SysReg.Ttbr0El1, Ttbr.Create(f.Root0, 1).Value);
            Assert.True(cpu.TryRead64(VaU, out _));
            Assert.True(cpu.TryRead64(VaU2, out _));
            Assert.True(cpu.TryRead64(VaG, out _));
            Assert.Equal(4, cpu.Tlb.Count);
        }
        return f;
    }

    /// <summary>The entries a CPU holds, named G (global), U1, U2 (VaU under ASID 1, 2) and V1 (VaU2 under ASID 1).</summary>
    private static string Held(Cpu cpu) => string.Join(",", cpu.Tlb.Entries().Select(e =>
        e.Global ? "G" : e.VaBase == VaU ? $"U{e.Asid}" : $"V{e.Asid}").Order());

    [Theory]
    [InlineData(TlbiOp.Vmalle1, 0UL, 0, "")]
    [InlineData(TlbiOp.Vae1, VaU, 1, "G,U2,V1")]
    [InlineData(TlbiOp.Vale1, VaU, 1, "G,U2,V1")]
    [InlineData(TlbiOp.Vae1, VaG, 9, "U1,U2,V1")]      // a global entry goes whatever the ASID operand
    [InlineData(TlbiOp.Vale1, VaG, 9, "U1,U2,V1")]
    [InlineData(TlbiOp.Aside1, 0UL, 1, "G,U2")]         // never a global entry
    [InlineData(TlbiOp.Aside1, 0UL, 2, "G,U1,V1")]
    [InlineData(TlbiOp.Vaae1, VaU, 9, "G,V1")]          // every ASID
    [InlineData(TlbiOp.Vaale1, VaU, 9, "G,V1")]
    [InlineData(TlbiOp.Vaae1, VaG, 0, "U1,U2,V1")]
    public void Each_local_tlbi_removes_what_the_architecture_says_on_this_cpu_only(TlbiOp op, ulong va, int asid, string left)
    {
        var f = Populated();
        f.Cpu.Tlbi(op, TlbiOpExtensions.Operand(va, (ushort)asid));
        Assert.Equal(left, Held(f.Machine.Cpus[0]));
        Assert.Equal("G,U1,U2,V1", Held(f.Machine.Cpus[1]));
        Assert.Equal("G,U1,U2,V1", Held(f.Machine.Cpus[2]));
        Assert.Equal(1, f.Cpu.Counters.Tlbi(op));
        f.AssertCoherent();
    }

    [Theory]
    [InlineData(TlbiOp.Vmalle1Is, 0UL, 0, "")]
    [InlineData(TlbiOp.Vae1Is, VaU, 1, "G,U2,V1")]
    [InlineData(TlbiOp.Vale1Is, VaU, 2, "G,U1,V1")]
    [InlineData(TlbiOp.Aside1Is, 0UL, 1, "G,U2")]
    [InlineData(TlbiOp.Vaae1Is, VaU, 0, "G,V1")]
    [InlineData(TlbiOp.Vaale1Is, VaG, 0, "U1,U2,V1")]
    public void Each_inner_shareable_tlbi_reaches_every_cpu(TlbiOp op, ulong va, int asid, string left)
    {
        var f = Populated();
        f.Machine.Cpus[1].Tlbi(op, TlbiOpExtensions.Operand(va, (ushort)asid));
        foreach (var cpu in f.Machine.Cpus) Assert.Equal(left, Held(cpu));
        Assert.Equal(1, f.Machine.Cpus[1].Counters.Tlbi(op));
        Assert.Equal(0, f.Machine.Cpus[0].Counters.TlbiTotal);
        f.AssertCoherent();
    }

    [Fact]
    public void The_operand_carries_va_55_12_and_the_asid()
    {
        Assert.Equal(0x0042_0007_FFFD_EADBUL, TlbiOpExtensions.Operand(0x0000_7FFF_DEAD_B000, 0x42)); // reference §4.1
        Assert.Equal(0x0000_0FF0_0000_0005UL, TlbiOpExtensions.Operand(0xFFFF_0000_0000_5000));      // bit 55 kept in the field
    }

    [Fact]
    public void A_block_entry_goes_with_a_tlbi_of_any_va_inside_it()
    {
        var f = new MmuFixture();
        f.Map(f.Root0, 0x4000_0000, 2, Descriptor.Block(0x4040_0000, 0b00, ng: true));
        f.Enable(asid: 3);
        Assert.True(f.Cpu.TryRead64(0x4000_0000, out _));
        Assert.Equal(1, f.Cpu.Tlb.Count);
        f.Cpu.Tlbi(TlbiOp.Vae1, TlbiOpExtensions.Operand(0x401F_F000, 3));
        Assert.Equal(0, f.Cpu.Tlb.Count);
    }

    [Fact]
    public void With_8_bit_asids_only_the_low_byte_of_the_operand_asid_counts()
    {
        var f = new MmuFixture(asidBits: 8);
        f.Map(f.Root0, VaU, 3, Descriptor.Page(Data, 0b00, ng: true));
        f.Enable(asid: 0x12);
        Assert.True(f.Cpu.TryRead64(VaU, out _));
        f.Cpu.Tlbi(TlbiOp.Aside1, TlbiOpExtensions.Operand(0, 0x3412));
        Assert.Equal(0, f.Cpu.Tlb.Count);
    }

    [Fact]
    public void A_changed_entry_is_used_stale_until_invalidated_and_the_checker_says_so()
    {
        var f = new MmuFixture();
        ulong slot = f.Map(f.Root0, VaU, 3, Descriptor.Page(Data, 0b00, ng: true));
        f.Enable();
        f.Machine.Memory.Write64(Data, 111);
        f.Machine.Memory.Write64(Data + 0x1000, 222);
        Assert.True(f.Cpu.TryRead64(VaU, out ulong v) && v == 111);
        f.Machine.Memory.Write64(slot, Descriptor.Page(Data + 0x1000, 0b00, ng: true).Value); // no break-before-make, no TLBI
        Assert.True(f.Cpu.TryRead64(VaU, out v));
        Assert.Equal(111UL, v);                                                              // the TLB still says the old frame
        f.Cpu.Isb();   // the micro-TLB served that load; the checker sees its copies at each context synchronization event
        Assert.All(f.Machine.Checker.Violations, r => Assert.Equal((VaU, Data), (r.Va, r.Frame)));
        var report = f.Machine.Checker.Violations[0];
        Assert.Equal(MiniBSD.Hal.Check.CoherenceRule.StaleHit, report.Rule);
        Assert.Equal(VaU, report.Va);
        Assert.Equal(Data, report.Frame);
        Assert.Equal(1, report.Asid);
        f.Machine.Checker.Clear();
        f.Cpu.Tlbi(TlbiOp.Vale1, TlbiOpExtensions.Operand(VaU, 1));
        Assert.True(f.Cpu.TryRead64(VaU, out v) && v == 222);
        f.AssertCoherent();
    }

    [Fact]
    public void Invalid_to_valid_needs_no_tlbi_because_faults_are_not_cached()
    {
        var f = new MmuFixture();
        f.Enable();
        Assert.False(f.Cpu.TryRead64(VaU, out _));
        f.Map(f.Root0, VaU, 3, Descriptor.Page(Data, 0b00, ng: true));
        Assert.True(f.Cpu.TryRead64(VaU, out _));
        f.AssertCoherent();
    }

    [Fact]
    public void Capacity_and_round_robin_replacement_are_deterministic()
    {
        var f = new MmuFixture();
        var small = new Tlb(new TlbGeometry(PageSets: 1, PageWays: 4));
        f.Enable();
        for (int i = 0; i < 6; i++)
        {
            ulong va = 0x10000UL * (ulong)i;
            small.Insert(va, 1, new WalkResult { Level = 3, Shift = 12, OutputBase = Data + (ulong)i * 0x1000, NotGlobal = true });
        }
        Assert.Equal(4, small.Count);
        // Inserted 0..5 into 4 ways: 4 replaced way 0 (entry 0), 5 replaced way 1 (entry 1).
        Assert.False(small.TryLookup(0x00000, 1, out _));
        Assert.False(small.TryLookup(0x10000, 1, out _));
        Assert.True(small.TryLookup(0x20000, 1, out _));
        Assert.True(small.TryLookup(0x50000, 1, out var e));
        Assert.Equal(Data + 0x5000, e.OutputBase);
        Assert.False(small.TryLookup(0x50000, 2, out _)); // another ASID does not match a non-global entry
    }

    [Fact]
    public void Default_geometry_is_realistic()
    {
        Assert.Equal(1024 + 32 + 16, TlbGeometry.Default.Capacity);
        Assert.Throws<ArgumentException>(() => new TlbGeometry(PageSets: 3).Validate());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_frame_index_the_checker_uses_always_agrees_with_the_entries(int seed)
    {
        var rng = new Random(seed);
        var tlb = new Tlb(new TlbGeometry(PageSets: 2, PageWays: 2, BlockSets2M: 1, BlockWays2M: 2, BlockSets1G: 1, BlockWays1G: 1));
        tlb.TrackFrames(true);
        var ops = new[] { TlbiOp.Vae1, TlbiOp.Aside1, TlbiOp.Vaae1, TlbiOp.Vmalle1 };
        for (int step = 0; step < 2000; step++)
        {
            ulong va = (ulong)rng.Next(16) << (rng.Next(3) == 0 ? 21 : 12);
            ushort asid = (ushort)rng.Next(1, 4);
            if (rng.Next(3) > 0)
            {
                int level = rng.Next(4) == 0 ? 2 : 3;
                int shift = level == 2 ? 21 : 12;
                ulong oa = 0x4000_0000 + ((ulong)rng.Next(8) << shift);
                tlb.Insert(va & ~((1UL << shift) - 1), asid, new WalkResult { Level = level, Shift = shift, OutputBase = oa, NotGlobal = rng.Next(2) == 0 });
            }
            else
            {
                tlb.Invalidate(ops[rng.Next(ops.Length)], TlbiOpExtensions.Operand(va, asid), 16);
            }
            var frames = Enumerable.Range(0, 9).Select(i => 0x4000_0000UL + (ulong)i * 0x1000)
                .Concat(Enumerable.Range(0, 17).Select(i => 0x4000_0000UL + (ulong)i * 0x10_0000 + 0x3000));
            foreach (ulong frame in frames)
            {
                bool brute = tlb.Entries().Any(e => frame >= e.OutputBase && frame < e.OutputBase + e.Size);
                Assert.Equal(brute, tlb.MayMapFrame(frame));
            }
        }
    }
}
