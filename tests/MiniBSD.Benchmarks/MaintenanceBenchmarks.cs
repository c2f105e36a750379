using BenchmarkDotNet.Attributes;
using MiniBSD.Hal.Tlb;

namespace MiniBSD.Benchmarks;

/// <summary>TLBI VAE1IS across CPUs whose TLBs are full, and ASIDE1IS; frame zeroing and copying.</summary>
[MemoryDiagnoser]
public class MaintenanceBenchmarks
{
    private BenchMachine _m = null!;

    [Params(1, 8)]
    public int Cpus { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _m = new BenchMachine(Cpus, pages: 1024);
        foreach (var cpu in _m.Machine.Cpus)
            for (ulong i = 0; i < 1024; i++) cpu.TryRead64(BenchMachine.Va + i * 0x1000, out _);
    }

    [Benchmark(Description = "TLBI VAE1IS (hit on every CPU) + refill")]
    public void TlbiVae1IsAndRefill()
    {
        _m.Cpu.Tlbi(TlbiOp.Vae1Is, TlbiOpExtensions.Operand(BenchMachine.Va + 0x7000, 1));
        foreach (var cpu in _m.Machine.Cpus) cpu.TryRead64(BenchMachine.Va + 0x7000, out _);
    }

    [Benchmark(Description = "TLBI VAE1IS (nothing to remove)")]
    public void TlbiVae1IsMiss() => _m.Cpu.Tlbi(TlbiOp.Vae1Is, TlbiOpExtensions.Operand(0x7FFF_0000_0000, 1));

    [Benchmark(Description = "TLBI ASIDE1IS of an ASID no TLB holds")]
    public void TlbiAside1IsEmpty() => _m.Cpu.Tlbi(TlbiOp.Aside1Is, TlbiOpExtensions.Operand(0, 2));
}

/// <summary>Zeroing and copying a 4 KiB frame.</summary>
[MemoryDiagnoser]
public class FrameBenchmarks
{
    private BenchMachine _m = null!;

    [GlobalSetup]
    public void Setup()
    {
        _m = new BenchMachine(1, pages: 1);
        _m.Machine.Memory.Write64(0x4900_0000, 1);
        _m.Machine.Memory.Write64(0x4900_1000, 1);
    }

    [Benchmark(Description = "zero a 4 KiB frame")]
    public void ZeroFrame() => _m.Cpu.ZeroFrame(0x4900_0000);

    [Benchmark(Description = "copy a 4 KiB frame")]
    public void CopyFrame() => _m.Cpu.CopyFrame(0x4900_1000, 0x4900_0000);
}
