using MiniBSD.Hal;
using MiniBSD.Hal.Cost;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Registers;
using MiniBSD.Hal.Tlb;

namespace MiniBSD.Tests.Hal;

/// <summary>Simulated cycles and per-CPU counters follow the cost table, event by event.</summary>
public sealed class CostTests
{
    private const ulong Va = 0x0000_0000_0040_0000;
    private static readonly CostTable C = CostTable.Default;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_miss_costs_the_walk_and_a_hit_costs_one_access_with_or_without_the_checker(bool checker)
    {
        var f = new MmuFixture();
        f.Machine.Checker.Enabled = checker;
        f.Map(f.Root0, Va, 3, Descriptor.Page(0x4200_0000, 0b00));
        f.Enable();
        long t0 = f.Cpu.Clock;
        Assert.True(f.Cpu.TryRead64(Va, out _));
        Assert.Equal(C.TlbMiss + C.AccessTlbHit + 4 * C.WalkRead, f.Cpu.Clock - t0);
        long t1 = f.Cpu.Clock;
        for (int i = 0; i < 10; i++) Assert.True(f.Cpu.TryRead64(Va + 8 * (ulong)i, out _));
        Assert.True(f.Cpu.TryWrite64(Va, 3));
        Assert.True(f.Cpu.TryWrite64(Va + 8, 3));
        Assert.Equal(12 * C.AccessTlbHit, f.Cpu.Clock - t1);
        Assert.Equal(12, f.Cpu.Counters.TlbHits);
        Assert.Equal(1, f.Cpu.Counters.TlbMisses);
        Assert.Equal(13, f.Cpu.Counters.Accesses);
    }

    [Fact]
    public void Broadcast_tlbi_costs_grow_with_the_cpu_count()
    {
        var one = new Machine(new MachineConfig { Cpus = 1 });
        var eight = new Machine(new MachineConfig { Cpus = 8 });
        one.Cpus[0].Tlbi(TlbiOp.Vae1Is, 1);
        eight.Cpus[0].Tlbi(TlbiOp.Vae1Is, 1);
        Assert.Equal(C.TlbiLocal, one.Cpus[0].Clock);
        Assert.Equal(C.TlbiLocal + 7 * C.TlbiBroadcastPerCpu, eight.Cpus[0].Clock);
        eight.Cpus[1].Tlbi(TlbiOp.Vae1, 1);
        Assert.Equal(C.TlbiLocal, eight.Cpus[1].Clock);
        Assert.Equal(1, eight.Cpus[0].Counters.Tlbi(TlbiOp.Vae1Is));
        Assert.Equal(1, eight.TotalCounters().Tlbi(TlbiOp.Vae1));
    }

    [Theory]
    [InlineData(8, 700, 700)]       // the mesh constant keeps 8 PEs where the linear model was
    [InlineData(16, 1149, 1500)]    // 383 x (4 - 1) against 100 x 15
    [InlineData(64, 2681, 6300)]    // sqrt grows slower than a price per target
    public void A_broadcast_grows_with_the_square_root_of_the_pes_in_the_mesh_model_and_linearly_in_the_old(int cpus, long mesh, long linear)
    {
        foreach (var (model, expected) in new[] { (TlbiModel.Mesh, mesh), (TlbiModel.Linear, linear) })
        {
            var m = new Machine(new MachineConfig { Cpus = cpus, TlbiModel = model });
            m.Cpus[0].Tlbi(TlbiOp.Aside1Is, 1UL << 48);
            Assert.Equal(C.TlbiLocal + expected, m.Cpus[0].Clock);
        }
    }

    [Fact]
    public void Concurrent_broadcasters_wait_for_each_other_in_the_mesh_model_and_not_in_the_linear_one()
    {
        var mesh = new Machine(new MachineConfig { Cpus = 16 });
        long alone = 1149;
        for (int i = 0; i < 3; i++) mesh.Cpus[i].Tlbi(TlbiOp.Vae1Is, 1);   // three CPUs at time 0
        Assert.Equal([C.TlbiLocal + alone, C.TlbiLocal + 2 * alone, C.TlbiLocal + 3 * alone], mesh.Cpus.Take(3).Select(c => c.Clock));
        Assert.Equal((2L, 3 * alone), (mesh.DvmWaits, mesh.DvmWaitCycles));   // the second waited one, the third two
        mesh.Cpus[3].AdvanceClock(10 * alone);
        mesh.Cpus[3].Tlbi(TlbiOp.Vae1Is, 1);                                 // after they finished: no wait
        Assert.Equal(11 * alone + C.TlbiLocal, mesh.Cpus[3].Clock);
        var linear = new Machine(new MachineConfig { Cpus = 16, TlbiModel = TlbiModel.Linear });
        for (int i = 0; i < 3; i++) linear.Cpus[i].Tlbi(TlbiOp.Vae1Is, 1);
        Assert.All(linear.Cpus.Take(3), c => Assert.Equal(C.TlbiLocal + 1500, c.Clock));
        Assert.Equal(0, linear.DvmWaits);
    }

    [Fact]
    public void Barriers_system_registers_exceptions_and_frames_are_costed()
    {
        var m = new Machine(new MachineConfig { Cpus = 1 });
        var cpu = m.Cpus[0];
        cpu.Dsb(BarrierOption.Ish);
        cpu.Isb();
        cpu.Msr(SysReg.TpidrEl1, 1);
        Assert.Equal(C.Dsb + C.Isb + C.SystemRegister, cpu.Clock);
        cpu.ZeroFrame(0x4000_0000);
        cpu.CopyFrame(0x4000_1000, 0x4000_0000);
        Assert.Equal(C.Dsb + C.Isb + C.SystemRegister + C.FrameZero + C.FrameCopy, cpu.Clock);
        long t = cpu.Clock;
        cpu.EnterUser(0x1000);          // MSR SPSR, MSR ELR, ERET
        cpu.Svc(1);
        Assert.Equal(2 * C.SystemRegister + C.ExceptionReturn + C.ExceptionEntry, cpu.Clock - t);
        Assert.Equal((1, 1, 1, 1, 1), (cpu.Counters.Dsb, cpu.Counters.Isb, cpu.Counters.ExceptionsTaken, cpu.Counters.ExceptionReturns, cpu.Counters.FramesZeroed));
    }

    [Fact]
    public void Walk_depth_and_fault_counters()
    {
        var f = new MmuFixture();
        f.Map(f.Root0, Va, 3, Descriptor.Page(0x4200_0000, 0b00));
        f.Map(f.Root0, 0x4000_0000, 1, Descriptor.Block(0x4000_0000, 0b00));
        f.Enable();
        f.Cpu.TryRead64(Va, out _);
        f.Cpu.TryRead64(0x4000_0000, out _);
        f.Cpu.TryRead64(Va + 0x1000, out _);   // L3 invalid: 4 reads, translation fault L3
        Assert.Equal(2, f.Cpu.Counters.WalksWithReads(4));
        Assert.Equal(1, f.Cpu.Counters.WalksWithReads(2));
        Assert.Equal(1, f.Cpu.Counters.Faults(FaultKind.Translation, 3));
        Assert.Equal(1, f.Cpu.Counters.FaultsOfKind(FaultKind.Translation));
        Assert.Contains("Translation L3 1", f.Cpu.Counters.Format());
        f.AssertCoherent();
    }

    [Fact]
    public void A_cost_file_overrides_named_costs_and_rejects_unknown_ones()
    {
        string dir = Directory.CreateTempSubdirectory("minibsd-costs").FullName;
        string good = Path.Combine(dir, "costs.json");
        File.WriteAllText(good, """{ "walkRead": 100, "TlbiBroadcastPerCpu": 7 }""");
        var t = CostTable.Load(good);
        Assert.Equal(100, t.WalkRead);
        Assert.Equal(7, t.TlbiBroadcastPerCpu);
        Assert.Equal(CostTable.Default.TlbMiss, t.TlbMiss);
        Assert.Equal(60, CostTable.Default.ExceptionEntry); // the default is untouched
        string bad = Path.Combine(dir, "bad.json");
        File.WriteAllText(bad, """{ "WalkReads": 1 }""");
        Assert.Contains("unknown cost 'WalkReads'", Assert.Throws<FormatException>(() => CostTable.Load(bad)).Message);
        File.WriteAllText(bad, """{ "WalkRead": -1 }""");
        Assert.Contains("'WalkRead' must be a non-negative", Assert.Throws<FormatException>(() => CostTable.Load(bad)).Message);
        File.WriteAllText(bad, "{\n  \"WalkRead\": ,\n}");
        Assert.Contains("bad.json:2", Assert.Throws<FormatException>(() => CostTable.Load(bad)).Message);
    }
}
