using MiniBSD.Hal;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Tlb;

namespace MiniBSD.Tests.Hal;

/// <summary>The hot paths allocate nothing: a TLB hit, a miss with its walk, a fault, a broadcast TLBI.</summary>
public sealed class AllocationTests
{
    private const ulong Va = 0x0000_0000_0040_0000;

    private static MmuFixture Fixture(int cpus = 1)
    {
        var f = new MmuFixture(cpus);
        f.Machine.Checker.Enabled = false; // the checker is a test aid; the machine's own paths are measured
        for (ulong i = 0; i < 64; i++) f.Map(f.Root0, Va + i * 0x1000, 3, Descriptor.Page(0x4200_0000 + i * 0x1000, 0b00));
        f.Enable();
        return f;
    }

    [Fact]
    public void Loads_and_stores_on_a_tlb_hit_allocate_nothing()
    {
        var f = Fixture();
        Assert.Equal(0, AllocationMeter.SteadyStateBytes(() =>
        {
            for (ulong i = 0; i < 4096; i++)
            {
                f.Cpu.TryRead64(Va + (i * 8 % 0x40000), out _);
                f.Cpu.TryWrite64(Va + (i * 8 % 0x40000), i);
                f.Cpu.TryRead(Va + 3, 4, out _);
            }
        }));
    }

    [Fact]
    public void Misses_walks_faults_and_tlbis_allocate_nothing()
    {
        var f = Fixture(cpus: 4);
        Assert.Equal(0, AllocationMeter.SteadyStateBytes(() =>
        {
            for (ulong i = 0; i < 64; i++)
            {
                f.Cpu.Tlbi(TlbiOp.Vae1Is, TlbiOpExtensions.Operand(Va + i * 0x1000, 1));
                f.Cpu.TryRead64(Va + i * 0x1000, out _);   // miss: 4-level walk
                f.Cpu.TryRead64(0x7000_0000, out _);       // translation fault and exception entry
            }
            f.Cpu.Tlbi(TlbiOp.Aside1Is, TlbiOpExtensions.Operand(0, 1));
        }));
    }
}
