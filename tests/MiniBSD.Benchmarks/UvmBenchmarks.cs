using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Arch.Arm64;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Benchmarks;

/// <summary>Page faults, fork and teardown of a 1,000-page address space (issue #3's benchmarks).</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, iterationCount: 30, warmupCount: 5, invocationCount: 1)]
public class UvmBenchmarks
{
    private UvmWorld _w = null!;
    private Vmspace _vm = null!;
    private Vmspace? _child;
    private ulong _region;

    [GlobalSetup]
    public void Setup() => _w = new UvmWorld();

    [IterationSetup(Targets = [nameof(ZeroFillFault)])]
    public void FreshRegion()
    {
        _vm = _w.Uvm.UvmspaceAlloc(_w.Cpu)!;
        _w.Pmaps.PmapActivate(_w.Cpu, _vm.Pmap);
        _w.Uvm.SysMmap(_w.Cpu, _vm, 0, 1000 * 4096, VmProt.ReadWrite, MapFlags.Private | MapFlags.Anon, out _region);
    }

    [Benchmark(OperationsPerInvoke = 1000, Description = "zero-fill fault (uvm_fault, write, fresh page)")]
    public void ZeroFillFault() => _w.Touch(_vm, _region, 1000);

    [IterationSetup(Targets = [nameof(CowFault)])]
    public void ForkedChild()
    {
        _vm = _w.Process();
        _child = _w.Uvm.UvmspaceFork(_w.Cpu, _vm)!;
        _w.Pmaps.PmapActivate(_w.Cpu, _child.Pmap, curproc: false);
    }

    [Benchmark(OperationsPerInvoke = UvmWorld.ResidentPages, Description = "copy-on-write fault (uvm_fault after fork)")]
    public void CowFault()
    {
        foreach (var e in _child!.Map.Entries)
            for (ulong va = e.Start; va < e.End; va += 4096)
                if (e.Amap?.Anons[e.Slot(va)] is not null) _w.Uvm.UvmFault(_w.Cpu, _child.Map, va, VmProt.Write);
    }

    [IterationSetup(Targets = [nameof(Fork1000)])]
    public void Parent() => _vm = _w.Process();

    [Benchmark(Description = "uvmspace_fork of a 1,000-page address space")]
    public void Fork1000() => _child = _w.Uvm.UvmspaceFork(_w.Cpu, _vm);

    [IterationSetup(Targets = [nameof(TeardownPurgePageByPage), nameof(TeardownPurgeSkipAbsent), nameof(TeardownActivePageByPage), nameof(TeardownActiveSkipAbsent)])]
    public void Resident() => _vm = _w.Process();

    [Benchmark(Description = "teardown, 1,000 pages: pmap_purge first, pmap_remove page by page")]
    public void TeardownPurgePageByPage() => Teardown(PmapRemoveWalk.PageByPage, purge: true);

    [Benchmark(Description = "teardown, 1,000 pages: pmap_purge first, pmap_remove skipping absent subtrees")]
    public void TeardownPurgeSkipAbsent() => Teardown(PmapRemoveWalk.SkipAbsent, purge: true);

    [Benchmark(Description = "teardown, 1,000 pages: pmap still active, page by page")]
    public void TeardownActivePageByPage() => Teardown(PmapRemoveWalk.PageByPage, purge: false);

    [Benchmark(Description = "teardown, 1,000 pages: pmap still active, skipping absent subtrees")]
    public void TeardownActiveSkipAbsent() => Teardown(PmapRemoveWalk.SkipAbsent, purge: false);

    private void Teardown(PmapRemoveWalk walk, bool purge)
    {
        _w.Arm64.RemoveWalk = walk;
        if (purge) _w.ExitPurge(_vm);
        else _w.ExitActive(_vm);
    }

    [IterationCleanup]
    public void Cleanup()
    {
        _w.Arm64.RemoveWalk = PmapRemoveWalk.PageByPage;
        if (_child is { } child) _w.Exit(child);
        _child = null;
        if (!_vm.Pmap.Destroyed) _w.Exit(_vm);
    }
}
