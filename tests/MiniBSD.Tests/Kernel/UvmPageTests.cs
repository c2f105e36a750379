using MiniBSD.Hal;
using MiniBSD.Hal.Check;
using MiniBSD.Kernel.Arch.Arm64;
using MiniBSD.Kernel.Kern;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Tests.Kernel;

public sealed class UvmPageTests
{
    [Fact]
    public void Pages_come_out_lowest_first_zeroed_and_are_counted_by_use()
    {
        var k = new KernelFixture();
        long total = k.Pages.TotalPages;
        Assert.Equal((k.Machine.Memory.End - k.Boot.FirstFree) / 4096, (ulong)total);
        k.Machine.Memory.Write64(k.Boot.FirstFree + 8, 0xDEAD);
        long zeroed = k.Cpu().Counters.FramesZeroed;
        Assert.True(k.Pages.TryAlloc(k.Cpu(), PageUse.Anon, zero: true, out ulong a));
        Assert.Equal(k.Boot.FirstFree, a);
        Assert.Equal(0UL, k.Machine.Memory.Read64(a + 8));
        Assert.True(k.Pages.TryAlloc(k.Cpu(), PageUse.PageTable, zero: false, out ulong b));
        Assert.Equal(a + 4096, b);
        Assert.Equal(1, k.Cpu().Counters.FramesZeroed - zeroed);
        Assert.Equal((1L, 1L, total - 2), (k.Pages.Count(PageUse.Anon), k.Pages.Count(PageUse.PageTable), k.Pages.Count(PageUse.Free)));
        Assert.Equal(PageUse.PageTable, k.Pages.UseOf(b));
        k.Pages.Free(k.Cpu(), a);
        Assert.True(k.Pages.TryAlloc(k.Cpu(), PageUse.Text, zero: false, out ulong c));
        Assert.Equal(a, c);                                           // the last page freed is the next one given
        k.Pages.Free(k.Cpu(), b);
        k.Pages.Free(k.Cpu(), c);
        k.AssertCleanAndNoLeaks();
    }

    [Fact]
    public void Exhaustion_is_a_failed_allocation_not_a_panic()
    {
        var k = new KernelFixture(memory: 4 * MachineConfig.MiB);
        var got = new List<ulong>();
        while (k.Pages.TryAlloc(k.Cpu(), PageUse.Anon, zero: false, out ulong pa)) got.Add(pa);
        Assert.Equal(k.Pages.TotalPages, got.Count);
        Assert.Equal(0, k.Pages.Count(PageUse.Free));
        Assert.Equal(got.Count, got.Distinct().Count());
        foreach (var pa in got) k.Pages.Free(k.Cpu(), pa);
        k.AssertCleanAndNoLeaks();
    }

    [Fact]
    public void Freeing_twice_or_freeing_an_unmanaged_page_panics_naming_uvm_pagefree()
    {
        var k = new KernelFixture();
        ulong a = k.Anon();
        k.Pages.Free(k.Cpu(), a);
        Assert.StartsWith("panic: uvm_pagefree: page", Assert.Throws<KernelPanicException>(() => k.Pages.Free(k.Cpu(), a)).Message);
        Assert.StartsWith("panic: uvm_pagefree:", Assert.Throws<KernelPanicException>(() => k.Pages.Free(k.Cpu(), k.Boot.KernelL0)).Message);
    }

    [Fact]
    public void Freeing_a_page_a_loaded_asid_still_maps_is_reported_by_the_checker()
    {
        var k = new KernelFixture();
        var cpu = k.Cpu();
        var pm = k.Pmaps.PmapCreate(cpu)!;
        ulong frame = k.Anon();
        Assert.True(k.Pmaps.PmapEnter(cpu, pm, 0x40_0000, frame, VmProt.ReadWrite));
        k.Pmaps.PmapActivate(cpu, pm);
        Assert.True(KernelFixture.UserWrite(cpu, 0x40_0000, 7));
        k.Pmaps.PmapRemove(cpu, pm, 0x40_0000, 0x40_1000, PmapFlush.Never); // the broken assumption
        k.Pages.Free(k.Cpu(), frame);
        var v = Assert.Single(k.Machine.Checker.Violations);
        Assert.Equal((CoherenceRule.FreedFrameStillMapped, frame, (ulong)0x40_0000), (v.Rule, v.Frame, v.Va));
    }

    [Fact]
    public void Freeing_a_page_a_page_table_still_maps_panics()
    {
        var k = new KernelFixture();
        var pm = k.Pmaps.PmapCreate(k.Cpu())!;
        ulong frame = k.Anon();
        Assert.True(k.Pmaps.PmapEnter(k.Cpu(), pm, 0x40_0000, frame, VmProt.Read));
        Assert.True(k.Pmaps.PmapEnter(k.Cpu(), pm, 0x50_0000, frame, VmProt.Read));
        Assert.Equal(2, k.Pages.MappingCount(frame));
        Assert.StartsWith("panic: uvm_pagefree: page", Assert.Throws<KernelPanicException>(() => k.Pages.Free(k.Cpu(), frame)).Message);
        k.Pmaps.PmapRemove(k.Cpu(), pm, 0x40_0000, 0x60_0000);
        Assert.Equal(0, k.Pages.MappingCount(frame));
        k.Pages.Free(k.Cpu(), frame);
        k.Pmaps.PmapDestroy(k.Cpu(), pm);
        k.AssertCleanAndNoLeaks();
    }
}
