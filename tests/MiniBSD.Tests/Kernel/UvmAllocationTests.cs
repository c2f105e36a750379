using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Tests.Kernel;

/// <summary>
/// Zero-fill and copy-on-write faults, page-by-page pmap_remove and pmap_protect allocate no host memory per page
/// once the anon pool is warm (per-entry objects, such as an amap, are made once per mapping, not per page).
/// </summary>
public sealed class UvmAllocationTests
{
    private const int N = 200;

    [Fact]
    public void Per_page_paths_allocate_nothing()
    {
        var u = new UvmFixture(cpus: 1);
        u.K.Machine.Checker.Enabled = false; // the checker is a test aid; the kernel's own paths are measured
        var cpu = u.Cpu();
        var parent = u.NewSpace();
        u.Switch(cpu, parent);
        ulong warm = u.Mmap(parent, 2 * N * 4096);                     // warm the anon pool with 2N anons
        for (int i = 0; i < 2 * N; i++) u.Uvm.UvmFault(cpu, parent.Map, warm + (ulong)i * 4096, VmProt.Write);
        Assert.Equal(Errno.None, u.Uvm.SysMunmap(cpu, parent, warm, 2 * N * 4096));
        ulong va = u.Mmap(parent, N * 4096);
        u.Uvm.UvmFault(cpu, parent.Map, va, VmProt.Write);                // the amap is made here, once
        var least = (faults: long.MaxValue, protect: long.MaxValue, remove: long.MaxValue);
        for (int pass = 0; pass < 4; pass++)                              // the least over passes: tier-up JIT may allocate once
        {
            long faults = AllocationMeter.Bytes(() =>
            {
                for (int i = 1; i < N; i++) u.Uvm.UvmFault(cpu, parent.Map, va + (ulong)i * 4096, VmProt.Write);
            });
            long protect = AllocationMeter.Bytes(() => u.K.Pmaps.PmapProtect(cpu, parent.Pmap, va, va + N * 4096, VmProt.Read));
            long remove = AllocationMeter.Bytes(() => u.K.Pmaps.PmapRemove(cpu, parent.Pmap, va + 4096, va + N * 4096));
            if (pass > 0) least = (Math.Min(least.faults, faults), Math.Min(least.protect, protect), Math.Min(least.remove, remove));
        }
        Assert.Equal((0L, 0L, 0L), least);
        var child = u.Fork(cpu, parent);
        u.Switch(cpu, child);
        u.Uvm.UvmFault(cpu, child.Map, va, VmProt.Write);                 // amap_copy, once per entry
        long cow = long.MaxValue;                                         // the least over four chunks of pages, as above
        for (int chunk = 0; chunk < 4; chunk++)
        {
            int from = Math.Max(1, chunk * N / 4), to = (chunk + 1) * N / 4;
            long bytes = AllocationMeter.Bytes(() =>
            {
                for (int i = from; i < to; i++) u.Uvm.UvmFault(cpu, child.Map, va + (ulong)i * 4096, VmProt.Write);
            });
            if (chunk > 0) cow = Math.Min(cow, bytes);
        }
        Assert.Equal(0, cow);
        u.FreeAll(parent, child);
    }
}
