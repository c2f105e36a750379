using BenchmarkDotNet.Attributes;

namespace MiniBSD.Benchmarks;

/// <summary>
/// Host time of one fork + exit + wait in the kernel (the child write-faulting 16 copy-on-write pages), the issue's
/// forkexit loop: 1 / mean is the host rate; the simulated cost is printed by <c>-- --counts</c>.
/// </summary>
[MemoryDiagnoser]
public class ForkExitBenchmarks
{
    private ForkExitWorld _world = null!;

    [Params(16)]
    public int Pages { get; set; }

    [Params(Hal.Arch.Arm64, Hal.Arch.Amd64)]
    public Hal.Arch Arch { get; set; }

    [GlobalSetup]
    public void Setup() => _world = new ForkExitWorld(Pages, Arch);

    [Benchmark]
    public void ForkTouchExitWait() => _world.Cycle();
}
