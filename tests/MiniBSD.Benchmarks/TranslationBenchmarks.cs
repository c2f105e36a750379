using BenchmarkDotNet.Attributes;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Tlb;

namespace MiniBSD.Benchmarks;

/// <summary>
/// An 8-byte load through the MMU on a TLB hit, next to a plain array read in the same run (target: at most 3x),
/// and the cost of a miss: the bare 4-level walk, and a load after its TLB entry was invalidated.
/// </summary>
[MemoryDiagnoser]
public class TranslationBenchmarks
{
    private const int Loads = 512;
    private BenchMachine _m = null!;
    private ulong[] _array = null!;

    [Params(Hal.Arch.Arm64, Hal.Arch.Amd64)]
    public Hal.Arch Arch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _m = new BenchMachine(cpus: 1, pages: 64, Arch);
        _array = new ulong[Loads * 64];
        for (ulong i = 0; i < 64; i++) _m.Cpu.TryRead64(BenchMachine.Va + i * 0x1000, out _); // fill the TLB
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Loads, Description = "plain array read (8 bytes)")]
    public ulong PlainArrayRead()
    {
        var a = _array;
        ulong sum = 0;
        for (int i = 0; i < Loads; i++) sum += a[i];
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Loads, Description = "translated 8-byte load, TLB hit")]
    public ulong TranslatedLoadTlbHit()
    {
        var cpu = _m.Cpu;
        ulong sum = 0;
        for (ulong i = 0; i < Loads; i++)
        {
            cpu.TryRead64(BenchMachine.Va + i * 8, out ulong v);
            sum += v;
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Loads, Description = "translated 8-byte load, TLB hit, through a MemoryPort")]
    public ulong TranslatedLoadTlbHitPort()
    {
        using var port = _m.Cpu.OpenMemoryPort();
        ulong sum = 0;
        for (ulong i = 0; i < Loads; i++)
        {
            port.TryRead64(BenchMachine.Va + i * 8, out ulong v);
            sum += v;
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Loads, Description = "plain array read, 64 pages apart")]
    public ulong PlainArrayReadStrided()
    {
        var a = _array;
        ulong sum = 0;
        for (int i = 0; i < Loads; i++) sum += a[(i & 63) * 512 + (i >> 6)];
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Loads, Description = "translated load, TLB hit, 64 pages apart")]
    public ulong TranslatedLoadTlbHitStrided()
    {
        var cpu = _m.Cpu;
        ulong sum = 0;
        for (ulong i = 0; i < Loads; i++)
        {
            cpu.TryRead64(BenchMachine.Va + (i & 63) * 0x1000 + (i >> 6) * 8, out ulong v);
            sum += v;
        }
        return sum;
    }

    [Benchmark(Description = "4-level table walk (TableWalker.Walk / PagingWalker.Walk)")]
    public ulong Walk4Level()
    {
        if (Arch == Hal.Arch.Amd64)
            return Hal.X86.PagingWalker.Walk(_m.Machine.Memory, _m.Cpu.Paging, BenchMachine.Va + 0x5000, AccessType.Read, new Hal.X86.PagingWalker.Options(0, false, UpdateAccessed: false)).OutputBase;
        var r = TableWalker.Walk(_m.Machine.Memory, _m.Cpu.Regime, BenchMachine.Va + 0x5000, AccessType.Read, new TableWalker.Options(false, false, false));
        return r.OutputBase;
    }

    [Benchmark(Description = "TLBI VALE1 (amd64: INVLPG) + load that misses and walks")]
    public ulong LoadAfterInvalidate()
    {
        var cpu = _m.Cpu;
        if (Arch == Hal.Arch.Amd64) cpu.Invlpg(BenchMachine.Va + 0x5000);
        else cpu.Tlbi(TlbiOp.Vale1, TlbiOpExtensions.Operand(BenchMachine.Va + 0x5000, 1));
        cpu.TryRead64(BenchMachine.Va + 0x5000, out ulong v);
        return v;
    }
}
