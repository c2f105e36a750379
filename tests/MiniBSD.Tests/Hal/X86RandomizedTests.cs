using MiniBSD.Hal;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.X86;

namespace MiniBSD.Tests.Hal;

/// <summary>
/// Seeded random 4-level tables and control registers: MiniBSD's walker must agree with the independent
/// <see cref="X86ReferenceWalker"/> on every case, and loads and stores through the CPU (its TLB, its fast path) must
/// agree with the walker, with the coherence checker silent.
/// </summary>
public sealed class X86RandomizedTests
{
    private const ulong Pool = 0x4100_0000;
    private const int Tables = 12;

    /// <summary>Pool tables for a level: PML4 0-1, PDPT 2-4, PD 5-7, PT 8-11.</summary>
    private static ulong TableFor(Random rng, int level) =>
        Pool + (ulong)(level switch { 0 => rng.Next(0, 2), 1 => rng.Next(2, 5), 2 => rng.Next(5, 8), _ => rng.Next(8, 12) }) * 0x1000;

    private static ulong RandomEntry(Random rng, int level, int paBits)
    {
        if (rng.Next(14) == 0) return (ulong)rng.NextInt64() & ~1UL;                       // not present, anything else
        ulong flags = 1 | (rng.Next(8) < 7 ? PageEntry.RW : 0) | (rng.Next(10) < 9 ? PageEntry.US : 0)
            | (rng.Next(6) == 0 ? PageEntry.XD : 0) | (rng.Next(4) == 0 ? PageEntry.G : 0) | (ulong)rng.Next(4) << 3;
        if (rng.Next(20) == 0 && paBits < 52) flags |= 1UL << rng.Next(paBits, 52);                         // a reserved address bit
        bool large = level is 1 or 2 && rng.Next(4) == 0 || level == 0 && rng.Next(20) == 0;
        if (large)
        {
            int shift = level == 1 ? 30 : 21;
            ulong frame = (0x4000_0000UL + ((ulong)rng.Next(8) << shift)) & ~((1UL << shift) - 1);
            if (rng.Next(12) == 0) frame |= 1UL << rng.Next(13, shift);                       // reserved low bits
            return frame | flags | PageEntry.PS | (rng.Next(3) == 0 ? PageEntry.PatLarge : 0);
        }
        ulong next = level < 3 ? TableFor(rng, level + 1) : 0x4000_0000 + ((ulong)rng.Next(0x3000) << 12);
        if (rng.Next(15) == 0) next = 0x8000_0000;                                          // outside RAM: reads all ones
        return next | flags;
    }

    private static (Machine M, X86ReferenceWalker.Regs Regs) Build(int seed)
    {
        var rng = new Random(seed);
        int paBits = new[] { 36, 39, 40, 46, 48, 52 }[rng.Next(6)];
        var m = new Machine(new MachineConfig { Arch = Arch.Amd64, Cpus = 1, MemoryBytes = 64 * MachineConfig.MiB, PaBits = paBits, CheckCoherence = true });
        for (int t = 0; t < Tables; t++)
        {
            int level = t < 2 ? 0 : t < 5 ? 1 : t < 8 ? 2 : 3;
            for (int i = 0; i < 4; i++) m.Memory.Write64(Pool + (ulong)t * 0x1000 + (ulong)i * 8, RandomEntry(rng, level, paBits));
            m.Memory.Write64(Pool + (ulong)t * 0x1000 + 511 * 8, RandomEntry(rng, level, paBits));
        }
        ulong cr4 = Cr4.PaeBit | (rng.Next(2) == 0 ? Cr4.SmepBit : 0) | (rng.Next(2) == 0 ? Cr4.SmapBit : 0) | (rng.Next(2) == 0 ? Cr4.PgeBit : 0);
        ulong efer = Efer.LmeBit | (rng.Next(3) != 0 ? Efer.NxeBit : 0);
        ulong cr0 = Cr0.PeBit | Cr0.PgBit | (rng.Next(3) != 0 ? Cr0.WpBit : 0);
        return (m, new X86ReferenceWalker.Regs(cr0, TableFor(rng, 0), cr4, efer, paBits));
    }

    private static ulong RandomVa(Random rng)
    {
        ulong Index() => (ulong)(rng.Next(5) == 0 ? 511 : rng.Next(4));
        ulong va = Index() << 39 | Index() << 30 | Index() << 21 | Index() << 12 | (ulong)rng.Next(512) << 3;
        if (rng.Next(12) == 0) va |= 1UL << 47;                                             // non-canonical unless extended
        if ((va >> 47 & 1) != 0 && rng.Next(2) == 0) va |= 0xFFFF_0000_0000_0000;
        return va;
    }

    [Fact]
    public void The_walker_agrees_with_the_reference_on_random_tables()
    {
        int disagreements = 0, faults = 0, total = 0;
        var first = "";
        for (int seed = 1; seed <= 300; seed++)
        {
            var (m, r) = Build(seed);
            var state = new PagingState(new Cr0(r.Cr0), new Cr3(r.Cr3), new Cr4(r.Cr4), new Efer(r.Efer), r.PaBits);
            var rng = new Random(seed * 7919);
            for (int i = 0; i < 40; i++, total++)
            {
                ulong va = RandomVa(rng);
                char access = "rwx"[rng.Next(3)];
                int cpl = rng.Next(2) * 3;
                bool ac = rng.Next(2) == 0;
                var expected = X86ReferenceWalker.Translate(m.Memory, r, va, access, cpl, ac);
                var walk = PagingWalker.Walk(m.Memory, state, va, access switch { 'r' => AccessType.Read, 'w' => AccessType.Write, _ => AccessType.Execute },
                    new PagingWalker.Options(cpl, ac, UpdateAccessed: false));
                var got = walk.Fault switch
                {
                    X86Fault.GeneralProtection => new X86ReferenceWalker.Answer(null, null, true),
                    X86Fault.PageFault => new X86ReferenceWalker.Answer(null, (uint)walk.Error, false),
                    _ => new X86ReferenceWalker.Answer(walk.PhysicalAddress(va), null, false),
                };
                if (expected.Pa is null) faults++;
                if (got != expected && disagreements++ == 0) first = $"seed {seed} va 0x{va:x} {access} cpl{cpl} ac={ac}: reference {expected}, MiniBSD {got}";
            }
        }
        Assert.True(disagreements == 0, $"{disagreements} of {total} disagree; first: {first}");
        Assert.InRange(faults, total / 5, total * 4 / 5);   // both outcomes well represented
    }

    [Fact]
    public void Cpu_accesses_through_the_tlb_agree_with_the_walker_and_the_checker_stays_silent()
    {
        for (int seed = 1; seed <= 60; seed++)
        {
            var (m, r) = Build(seed);
            var cpu = m.Cpus[0];
            cpu.Wrmsr(Msr.Efer, r.Efer);
            cpu.Execute(X86Code.MovCr4Rax, new(Rax: r.Cr4));
            cpu.WriteCr3(r.Cr3);
            cpu.Execute(X86Code.MovCr0Rax, new(Rax: r.Cr0));
            var rng = new Random(seed);
            for (int i = 0; i < 60; i++)
            {
                ulong va = RandomVa(rng);
                bool write = rng.Next(3) == 0;
                var expected = X86ReferenceWalker.Translate(m.Memory, r, va, write ? 'w' : 'r', 0, ac: false);
                bool ok = write ? cpu.TryWrite64(va, 0) : cpu.TryRead64(va, out _);
                Assert.Equal(expected.Pa is not null, ok);
                if (!ok) Assert.Equal(expected.Gp ? Vector.GP : Vector.PF, cpu.Frame.Vector);
                if (!ok && !expected.Gp) Assert.Equal(expected.Pf, cpu.Frame.ErrorCode);
                if (ok && write && m.Memory.Contains(expected.Pa!.Value, 8)) Assert.Equal(0UL, m.Memory.Read64(expected.Pa.Value & ~7UL));
            }
            Assert.Empty(m.Checker.Violations);
        }
    }
}
