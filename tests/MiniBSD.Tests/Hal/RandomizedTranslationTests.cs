using MiniBSD.Hal;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Registers;

namespace MiniBSD.Tests.Hal;

/// <summary>
/// Seeded random tables and regimes: MiniBSD's AT must agree with the independent <see cref="ReferenceTranslator"/>,
/// and loads through the TLB must agree with AT, with the coherence checker silent.
/// </summary>
public sealed class RandomizedTranslationTests
{
    private const ulong Pool = 0x4100_0000;
    private const int Tables = 12;

    private sealed record World(Machine Machine, ReferenceTranslator.Regs Regs, List<(ulong Va, AtOp Op)> Cases);

    /// <summary>Pool tables by the level they are meant for: L0 0-1, L1 2-4, L2 5-7, L3 8-11.</summary>
    private static ulong TableFor(Random rng, int level) => Pool + (ulong)(level switch
    {
        0 => rng.Next(0, 2),
        1 => rng.Next(2, 5),
        2 => rng.Next(5, 8),
        _ => rng.Next(8, 12),
    }) * 0x1000;

    private static ulong TableAt(Random rng) => Pool + (ulong)rng.Next(Tables) * 0x1000;

    /// <summary>A descriptor for a table of the given level: mostly well-formed, sometimes each kind of wrong.</summary>
    private static ulong RandomDescriptor(Random rng, int level, int paBits)
    {
        if (rng.Next(8) == 0) return (ulong)rng.NextInt64() & ~1UL;                        // invalid, garbage above bit 0
        ulong attrs = (ulong)rng.NextInt64() & 0xFFFC_0000_0000_0BFCUL;                       // attributes, AF apart
        int shift = 39 - 9 * level;
        ulong oa = rng.Next(12) switch
        {
            0 => rng.Next(2) == 0 ? 0x8000_0000UL : 0x10_0000_0000,                       // outside RAM, inside the PA space
            1 => (1UL << (paBits - 1 + rng.Next(2))) & ~0xFFFUL,                          // around the output size
            2 => (ulong)rng.NextInt64(1L << 47) & ~0xFFFUL,                               // anywhere
            _ => level < 3 ? TableFor(rng, level + 1) : 0x4000_0000 + ((ulong)rng.Next(0x4000) << 12),
        };
        if (rng.Next(3) != 0) attrs |= Descriptor.AfBit;
        bool table = level < 3 ? rng.Next(10) < 7 : rng.Next(10) < 9;                      // at L3, "table" is a page
        if (table) return oa | 3 | (level < 3 ? attrs & 0xF800_0000_0000_0000 : attrs);
        if (level is 1 or 2) oa = 0x4000_0000 + ((ulong)rng.Next(16) << shift) & ~((1UL << shift) - 1) | (rng.Next(6) == 0 ? oa : 0);
        return oa | 1 | attrs;                                                            // a block, or invalid at L0/L3
    }

    private static World Build(int seed)
    {
        var rng = new Random(seed);
        int paBits = new[] { 32, 36, 40, 44, 48 }[rng.Next(5)];
        var m = new Machine(new MachineConfig { Cpus = 1, MemoryBytes = 64 * MachineConfig.MiB, PaBits = paBits, AsidBits = rng.Next(2) == 0 ? 8 : 16 });
        for (int t = 0; t < Tables; t++)
        {
            int level = t < 2 ? 0 : t < 5 ? 1 : t < 8 ? 2 : 3;
            for (int i = 0; i < 4; i++)
                m.Memory.Write64(Pool + (ulong)t * 0x1000 + (ulong)i * 8, RandomDescriptor(rng, level, paBits));
        }
        int Tsz() => rng.Next(12) == 0 ? new[] { 12, 40, 63 }[rng.Next(3)] : 16 + rng.Next(24);
        ulong tcr = (ulong)(uint)Tsz() | (ulong)(uint)Tsz() << 16 | (ulong)(uint)rng.Next(8) << 32
            | (rng.Next(2) == 0 ? 0b11UL << 14 : 0) | (rng.Next(2) == 0 ? 0b10UL << 30 : 0)            // TG: 4 KiB or its reserved alias
            | ((ulong)rng.NextInt64() & (1UL << 7 | 1UL << 22 | 1UL << 23 | 1UL << 36 | 1UL << 37 | 1UL << 38 | 1UL << 39 | 1UL << 40 | 1UL << 41 | 1UL << 42))
            & ~(rng.Next(4) == 0 ? 0 : 1UL << 7 | 1UL << 23);                                         // EPD mostly off
        ulong sctlr = (rng.Next(8) == 0 ? 0 : Sctlr.MBit) | (rng.Next(2) == 0 ? Sctlr.WxnBit : 0) | (rng.Next(8) == 0 ? Sctlr.EeBit : 0);
        ulong Ttbr() => rng.Next(10) switch
        {
            0 => 1UL << 47,
            1 => 0x8000_0000,
            2 => TableAt(rng),
            _ => TableFor(rng, 0) | ((ulong)rng.Next(0x1000) & 0xFFE),
        } | (ulong)rng.Next(0x10000) << 48;
        var regs = new ReferenceTranslator.Regs(sctlr, tcr, Ttbr(), Ttbr(), (ulong)rng.NextInt64(), paBits);
        var cases = new List<(ulong, AtOp)>();
        for (int i = 0; i < 64; i++)
        {
            // A VA the regime can walk: indices 0-3 at each level within the range's input size, canonical top bits,
            // and now and then a tagged, non-canonical or oversized one.
            int select = rng.Next(2);
            int tsz = Math.Clamp((int)((select == 0 ? tcr : tcr >> 16) & 0x3F), 16, 39);
            int inputBits = 64 - tsz;
            ulong va = (uint)rng.Next(0x1000);
            for (int lsb = 12; lsb < inputBits; lsb += 9) va |= (ulong)(uint)rng.Next(4) << lsb;
            va &= (1UL << inputBits) - 1;
            if (select == 1) va |= ~((1UL << inputBits) - 1);
            va ^= rng.Next(8) switch
            {
                0 => (ulong)(uint)rng.Next(256) << 56,                                 // a tag byte (TBI decides)
                1 => 1UL << rng.Next(inputBits, 64),                                  // one wrong top bit
                2 => (ulong)rng.NextInt64() & 0xFFFF_0000_0000_0000,                   // garbage above bit 47
                _ => 0,
            };
            cases.Add((va, (AtOp)rng.Next(4)));
        }
        return new World(m, regs, cases);
    }

    private static bool Program(Cpu cpu, ReferenceTranslator.Regs r)
    {
        cpu.Msr(SysReg.MairEl1, r.Mair);
        cpu.Msr(SysReg.TcrEl1, r.Tcr);
        cpu.Msr(SysReg.Ttbr0El1, r.Ttbr0);
        cpu.Msr(SysReg.Ttbr1El1, r.Ttbr1);
        cpu.Msr(SysReg.SctlrEl1, r.Sctlr);
        return true;
    }

    public static IEnumerable<object[]> Seeds() => Enumerable.Range(1, 100).Select(s => new object[] { s * 7919 });

    [Theory]
    [MemberData(nameof(Seeds))]
    public void At_agrees_with_the_reference_translator_on_random_tables(int seed)
    {
        var w = Build(seed);
        var cpu = w.Machine.Cpus[0];
        Program(cpu, w.Regs);
        foreach (var (va, op) in w.Cases)
        {
            var expected = ReferenceTranslator.Translate(pa => w.Machine.Memory.TryRead64(pa, out var v) ? v : null, w.Regs, va, op);
            cpu.Msr(SysReg.ParEl1, 0x5A5A);
            long taken = cpu.Counters.ExceptionsTaken;
            cpu.Execute(A64.At(op), va);
            string where = $"seed {seed}, AT {op} 0x{va:X16}, TCR {new Tcr(w.Regs.Tcr)}, TTBR0 0x{w.Regs.Ttbr0:X}, TTBR1 0x{w.Regs.Ttbr1:X}, SCTLR 0x{w.Regs.Sctlr:X}, PA bits {w.Regs.PaBits}";
            if (expected.AbortEsr is { } esr)
            {
                Assert.True(cpu.Counters.ExceptionsTaken == taken + 1, $"{where}: expected a Data Abort, got PAR {cpu.Par}");
                Assert.True(esr == cpu.Esr.Value, $"{where}: ESR {cpu.Esr}, expected 0x{esr:X}");
                Assert.Equal(0x5A5AUL, cpu.Par.Value);
            }
            else
            {
                Assert.True(expected.Par == cpu.Par.Value, $"{where}: PAR {cpu.Par}, expected {new Par(expected.Par!.Value)}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Loads_through_the_tlb_agree_with_at_and_keep_the_checker_silent(int seed)
    {
        var w = Build(seed);
        var cpu = w.Machine.Cpus[0];
        w.Machine.Checker.Enabled = true;
        var regs = w.Regs with { Sctlr = w.Regs.Sctlr & ~Sctlr.EeBit, Tcr = w.Regs.Tcr & ~(1UL << 39 | 1UL << 40) }; // no HA/HD: AT and loads see the same memory
        Program(cpu, regs);
        var rng = new Random(seed);
        for (int round = 0; round < 3; round++)
            foreach (var (va, _) in w.Cases.OrderBy(_ => rng.Next()))
            {
                ulong aligned = va & ~7UL;
                cpu.Msr(SysReg.ParEl1, 0);
                cpu.Msr(SysReg.EsrEl1, 0);
                cpu.Execute(A64.At(AtOp.S1E1R), aligned);
                var par = cpu.Par;
                bool atAborted = cpu.Esr.Cm;
                cpu.Msr(SysReg.EsrEl1, 0);
                cpu.SetPan(false); // AT S1E1R ignores PAN; every exception taken so far set it (SCTLR_EL1.SPAN = 0)
                bool loaded = cpu.TryRead64(aligned, out _);
                if (atAborted) { Assert.False(loaded); continue; }
                if (!par.F)
                {
                    bool inRam = w.Machine.Memory.Contains(par.PhysicalAddress | (aligned & 0xFFF), 8);
                    Assert.True(loaded == inRam, $"seed {seed} 0x{aligned:X}: PAR {par}, load {(loaded ? "ok" : cpu.Esr.ToString())}");
                    if (!loaded) Assert.Equal(FaultStatus.ExternalAbort, cpu.Esr.FaultStatus);
                }
                else
                {
                    Assert.False(loaded, $"seed {seed} 0x{aligned:X}: PAR {par} but the load succeeded");
                    Assert.Equal(par.Fst, cpu.Esr.FaultStatus);
                }
            }
        Assert.Empty(w.Machine.Checker.Violations);
    }

    [Fact]
    public void The_random_worlds_reach_every_outcome_at_every_level()
    {
        var seen = new HashSet<string>();
        foreach (var seed in Enumerable.Range(1, 400).Select(s => s * 7919))
        {
            var w = Build(seed);
            var cpu = w.Machine.Cpus[0];
            Program(cpu, w.Regs);
            foreach (var (va, op) in w.Cases)
            {
                var trace = new WalkTrace();
                var walk = TableWalker.Walk(w.Machine.Memory, cpu.Regime, va, op.IsWrite() ? AccessType.Write : AccessType.Read,
                    new TableWalker.Options(op.IsEl0(), false, false, trace));
                seen.Add(walk.IsFault ? walk.Status.ToString() : $"Leaf{walk.Level}");
            }
        }
        string[] expected =
        [
            "Leaf1", "Leaf2", "Leaf3",
            "TranslationL0", "TranslationL1", "TranslationL2", "TranslationL3",
            "AddressSizeL0", "AddressSizeL1", "AddressSizeL2", "AddressSizeL3",
            "AccessFlagL1", "AccessFlagL2", "AccessFlagL3",
            "PermissionL1", "PermissionL2", "PermissionL3",
            "ExternalAbortOnWalkL0", "ExternalAbortOnWalkL1", "ExternalAbortOnWalkL2", "ExternalAbortOnWalkL3",
        ];
        Assert.Empty(expected.Except(seen));
    }
}
