using MiniBSD.Hal.Tlb;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Arch.Arm64;
using MiniBSD.Hal.Registers;
using MiniBSD.Kernel.Kern;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Tests.Kernel;

/// <summary>uvm: anonymous memory, faults, copy-on-write, the memory system calls, teardown, copyin/copyout.</summary>
public sealed class UvmTests
{
    [Fact]
    public void Anonymous_memory_is_zero_filled_on_first_touch_and_counted()
    {
        var u = new UvmFixture();
        var vm = u.NewSpace();
        ulong va = u.Mmap(vm, 4 * 4096);
        Assert.Equal(VmLayout.MmapBase, va);
        Assert.Equal(0, u.K.Pages.Count(PageUse.Anon));
        Assert.Equal(0UL, u.Read(u.Cpu(), vm, va + 8));
        u.Write(u.Cpu(), vm, va + 4096, 77);
        Assert.Equal(77UL, u.Read(u.Cpu(1), vm, va + 4096));   // the same space on another CPU
        Assert.Equal(2, u.K.Pages.Count(PageUse.Anon));
        Assert.Equal(2, vm.Pmap.ResidentCount);
        u.FreeAll(vm);
    }

    [Fact]
    public void Unmapped_and_guard_pages_are_sigsegv_with_the_right_code()
    {
        var u = new UvmFixture();
        var vm = u.NewSpace();
        ulong guard = u.Mmap(vm, 4096, VmProt.None);
        ulong v = 0;
        var o = u.User(u.Cpu(), vm, guard, false, ref v);
        Assert.Equal((Signal.SIGSEGV, SigCode.SegvAccErr, guard), (o.Signal, o.Code, o.Address));
        o = u.User(u.Cpu(), vm, 0x7000_0000, true, ref v);
        Assert.Equal((Signal.SIGSEGV, SigCode.SegvMapErr, 0x7000_0000UL), (o.Signal, o.Code, o.Address));
        u.FreeAll(vm);
    }

    [Fact]
    public void Mprotect_read_only_makes_writes_sigsegv_and_respects_max_protection()
    {
        var u = new UvmFixture();
        var vm = u.NewSpace();
        ulong va = u.Mmap(vm, 3 * 4096);
        u.Write(u.Cpu(), vm, va + 4096, 5);
        Assert.Equal(Errno.None, u.Uvm.SysMprotect(u.Cpu(), vm, va + 4096, 4096, VmProt.Read));
        Assert.Equal(3, vm.Map.Entries.Count);                                  // clipped into three
        ulong v = 9;
        Assert.Equal(Signal.SIGSEGV, u.User(u.Cpu(), vm, va + 4096, true, ref v).Signal);
        Assert.Equal(5UL, u.Read(u.Cpu(), vm, va + 4096));
        u.Write(u.Cpu(), vm, va, 1);                                            // neighbours still writable
        Assert.Equal(Errno.None, u.Uvm.SysMprotect(u.Cpu(), vm, va, 3 * 4096, VmProt.ReadWrite));
        u.Write(u.Cpu(), vm, va + 4096, 6);
        var ro = u.Uvm.UvmMapAnon(vm.Map, 0x2000_0000, 4096, VmProt.Read, VmProt.Read, VmInherit.Copy);
        Assert.Equal(Errno.EACCES, u.Uvm.SysMprotect(u.Cpu(), vm, ro.Start, 4096, VmProt.ReadWrite));
        Assert.Equal(Errno.ENOMEM, u.Uvm.SysMprotect(u.Cpu(), vm, 0x3000_0000, 4096, VmProt.Read));
        u.FreeAll(vm);
    }

    [Fact]
    public void Munmap_frees_the_pages_and_the_addresses_fault_afterwards()
    {
        var u = new UvmFixture();
        var vm = u.NewSpace();
        ulong va = u.Mmap(vm, 8 * 4096);
        for (ulong i = 0; i < 8; i++) u.Write(u.Cpu(), vm, va + i * 4096, i);
        Assert.Equal(8, u.K.Pages.Count(PageUse.Anon));
        long vae = u.K.Machine.TotalCounters().Tlbi(TlbiOp.Vae1Is);
        Assert.Equal(Errno.None, u.Uvm.SysMunmap(u.Cpu(), vm, va + 2 * 4096, 4 * 4096));
        Assert.Equal(4, u.K.Machine.TotalCounters().Tlbi(TlbiOp.Vae1Is) - vae);  // active pmap: one per page
        Assert.Equal(4, u.K.Pages.Count(PageUse.Anon));
        ulong v = 0;
        Assert.Equal(Signal.SIGSEGV, u.User(u.Cpu(), vm, va + 3 * 4096, false, ref v).Signal);
        Assert.Equal(7UL, u.Read(u.Cpu(), vm, va + 7 * 4096));
        u.FreeAll(vm);
    }

    [Fact]
    public void Mmap_and_munmap_refuse_bad_arguments_with_posix_errors()
    {
        var u = new UvmFixture();
        var vm = u.NewSpace();
        var cpu = u.Cpu();
        var anon = MapFlags.Private | MapFlags.Anon;
        Assert.Equal(Errno.EINVAL, u.Uvm.SysMmap(cpu, vm, 0, 0, VmProt.Read, anon, out _));
        Assert.Equal(Errno.EINVAL, u.Uvm.SysMmap(cpu, vm, 0, 4096, VmProt.Read, MapFlags.Anon, out _));
        Assert.Equal(Errno.EINVAL, u.Uvm.SysMmap(cpu, vm, 0, 4096, VmProt.Read, MapFlags.Shared | MapFlags.Private | MapFlags.Anon, out _));
        Assert.Equal(Errno.EINVAL, u.Uvm.SysMmap(cpu, vm, 0, 4096, VmProt.Read, MapFlags.Private, out _));
        Assert.Equal(Errno.EINVAL, u.Uvm.SysMmap(cpu, vm, 0x2000_0100, 4096, VmProt.Read, anon | MapFlags.Fixed, out _));
        Assert.Equal(Errno.EINVAL, u.Uvm.SysMmap(cpu, vm, 0xFFFF_0000_0000_0000, 4096, VmProt.Read, anon | MapFlags.Fixed, out _));
        Assert.Equal(Errno.EINVAL, u.Uvm.SysMmap(cpu, vm, 0, 4096, (VmProt)8, anon, out _));
        Assert.Equal(Errno.ENOMEM, u.Uvm.SysMmap(cpu, vm, 0, 1UL << 50, VmProt.Read, anon, out _));
        Assert.Equal(Errno.EINVAL, u.Uvm.SysMunmap(cpu, vm, 0x2000_0001, 4096));
        Assert.Equal(Errno.EINVAL, u.Uvm.SysMunmap(cpu, vm, 0x2000_0000, 0));
        Assert.Equal(Errno.EINVAL, u.Uvm.SysMunmap(cpu, vm, 0, 4096));          // below user space
        u.FreeAll(vm);
    }

    [Fact]
    public void Map_fixed_replaces_what_was_there()
    {
        var u = new UvmFixture();
        var vm = u.NewSpace();
        ulong va = u.Mmap(vm, 4 * 4096);
        u.Write(u.Cpu(), vm, va + 4096, 1);
        ulong again = u.Mmap(vm, 4096, flags: MapFlags.Private | MapFlags.Anon | MapFlags.Fixed, addr: va + 4096);
        Assert.Equal(va + 4096, again);
        Assert.Equal(0UL, u.Read(u.Cpu(), vm, va + 4096));                    // a fresh zero page
        Assert.Equal(3, vm.Map.Entries.Count);
        u.FreeAll(vm);
    }

    [Fact]
    public void Fork_shares_pages_copy_on_write_and_isolates_both_sides()
    {
        var u = new UvmFixture();
        var parent = u.NewSpace();
        ulong va = u.Mmap(parent, 2 * 4096);
        u.Write(u.Cpu(0), parent, va, 100);
        u.Write(u.Cpu(0), parent, va + 4096, 200);
        var child = u.Fork(u.Cpu(0), parent);
        long copies = u.K.Machine.TotalCounters().FramesCopied;
        Assert.Equal(100UL, u.Read(u.Cpu(1), child, va));                       // shared, no copy
        Assert.Equal(0, u.K.Machine.TotalCounters().FramesCopied - copies);
        u.Write(u.Cpu(1), child, va, 101);                                      // child's write copies
        Assert.Equal(1, u.K.Machine.TotalCounters().FramesCopied - copies);
        Assert.Equal(100UL, u.Read(u.Cpu(0), parent, va));
        u.Write(u.Cpu(0), parent, va + 4096, 201);                              // parent's write copies too
        Assert.Equal(2, u.K.Machine.TotalCounters().FramesCopied - copies);
        Assert.Equal(200UL, u.Read(u.Cpu(1), child, va + 4096));
        Assert.Equal(101UL, u.Read(u.Cpu(1), child, va));
        Assert.Equal(4, u.K.Pages.Count(PageUse.Anon));
        u.Exit(u.Cpu(1), child);                                                // the child exits
        Assert.Equal(2, u.K.Pages.Count(PageUse.Anon));
        u.FreeAll(parent);
    }

    [Fact]
    public void Last_reference_write_takes_the_page_over_without_copying()
    {
        var u = new UvmFixture();
        var parent = u.NewSpace();
        ulong va = u.Mmap(parent, 4096);
        u.Write(u.Cpu(0), parent, va, 1);
        var child = u.Fork(u.Cpu(0), parent);
        u.Exit(u.Cpu(1), child);                                                // child gone before anyone wrote
        long copies = u.K.Machine.TotalCounters().FramesCopied;
        u.Write(u.Cpu(0), parent, va, 2);
        Assert.Equal(0, u.K.Machine.TotalCounters().FramesCopied - copies);
        Assert.Equal(1, u.K.Pages.Count(PageUse.Anon));
        u.FreeAll(parent);
    }

    [Fact]
    public void Map_shared_memory_stays_shared_across_fork_even_for_pages_touched_later()
    {
        var u = new UvmFixture();
        var parent = u.NewSpace();
        ulong va = u.Mmap(parent, 2 * 4096, flags: MapFlags.Shared | MapFlags.Anon);
        u.Write(u.Cpu(0), parent, va, 1);
        var child = u.Fork(u.Cpu(0), parent);
        u.Write(u.Cpu(1), child, va, 2);
        u.Write(u.Cpu(1), child, va + 4096, 3);                                // untouched before the fork
        Assert.Equal(2UL, u.Read(u.Cpu(0), parent, va));
        Assert.Equal(3UL, u.Read(u.Cpu(0), parent, va + 4096));
        Assert.Equal(2, u.K.Pages.Count(PageUse.Anon));
        u.FreeAll(parent, child);
    }

    [Fact]
    public void Inherit_none_leaves_the_range_out_of_the_child()
    {
        var u = new UvmFixture();
        var parent = u.NewSpace();
        var e = u.Uvm.UvmMapAnon(parent.Map, 0x2000_0000, 4096, VmProt.ReadWrite, VmProt.All, VmInherit.None);
        u.Write(u.Cpu(), parent, e.Start, 1);
        var child = u.Fork(u.Cpu(), parent);
        ulong v = 0;
        Assert.Equal(Signal.SIGSEGV, u.User(u.Cpu(1), child, e.Start, false, ref v).Signal);
        u.FreeAll(parent, child);
    }

    [Fact]
    public void Obreak_grows_and_shrinks_the_heap_by_whole_pages()
    {
        var u = new UvmFixture();
        var vm = u.NewSpace();
        Assert.Equal(Errno.None, u.Uvm.SysObreak(u.Cpu(), vm, vm.DataStart + 10_000));
        u.Write(u.Cpu(), vm, vm.DataStart + 8192, 3);
        Assert.Equal(Errno.None, u.Uvm.SysObreak(u.Cpu(), vm, vm.DataStart + 100));
        ulong v = 0;
        Assert.Equal(Signal.SIGSEGV, u.User(u.Cpu(), vm, vm.DataStart + 8192, false, ref v).Signal);
        Assert.Equal(Errno.ENOMEM, u.Uvm.SysObreak(u.Cpu(), vm, vm.DataStart - 1));
        Assert.Equal(Errno.ENOMEM, u.Uvm.SysObreak(u.Cpu(), vm, vm.DataStart + VmLayout.MaxData + 1));
        Assert.Equal(0, u.K.Pages.Count(PageUse.Anon));
        u.FreeAll(vm);
    }

    [Fact]
    public void A_heap_grown_page_by_page_stays_one_entry_until_a_fork_shares_its_amap()
    {
        var u = new UvmFixture();
        var vm = u.NewSpace();
        int before = vm.Map.Entries.Count;
        for (int i = 1; i <= 8; i++)
        {
            Assert.Equal(Errno.None, u.Uvm.SysObreak(u.Cpu(), vm, vm.DataStart + (ulong)i * 4096));
            u.Write(u.Cpu(), vm, vm.DataStart + (ulong)(i - 1) * 4096, (ulong)i);   // the amap grows with it (amap_extend)
        }
        Assert.Equal(before + 1, vm.Map.Entries.Count);                            // uvm_mapent_tryjoin: one heap entry
        var heap = vm.Map.Lookup(vm.DataStart)!;
        Assert.Equal((vm.DataStart, vm.DataStart + 8 * 4096UL, 8), (heap.Start, heap.End, heap.Amap!.Slots));
        Assert.Equal(8UL, u.Read(u.Cpu(), vm, vm.DataStart + 7 * 4096));
        var child = u.Fork(u.Cpu(), vm);                                           // the amap is shared, needs-copy
        Assert.Equal(Errno.None, u.Uvm.SysObreak(u.Cpu(), vm, vm.DataStart + 9 * 4096));
        Assert.Equal(before + 2, vm.Map.Entries.Count);                            // not joined: a new entry beside it
        Assert.Equal(1UL, u.Read(u.Cpu(), child, vm.DataStart));
        u.FreeAll(vm, child);
    }

    [Fact]
    public void Copyin_and_copyout_fault_pages_in_and_refuse_bad_addresses_with_efault()
    {
        var u = new UvmFixture();
        var vm = u.NewSpace();
        var cpu = u.Cpu();
        ulong va = u.Mmap(vm, 2 * 4096);
        u.Switch(cpu, vm);
        cpu.SetPan(true);
        byte[] text = "hello, kernel\0"u8.ToArray();
        Assert.Equal(Errno.None, Copy.Copyout(UserAccess.Access, cpu, u.Uvm, vm.Map, text, va + 4090));  // crosses into the second page
        var back = new byte[text.Length];
        Assert.Equal(Errno.None, Copy.Copyin(UserAccess.Access, cpu, u.Uvm, vm.Map, va + 4090, back));
        Assert.Equal(text, back);
        Assert.Equal(Errno.None, Copy.Copyinstr(UserAccess.Access, cpu, u.Uvm, vm.Map, va + 4090, 64, out string s));
        Assert.Equal("hello, kernel", s);
        Assert.Equal(Errno.ENAMETOOLONG, Copy.Copyinstr(UserAccess.Access, cpu, u.Uvm, vm.Map, va + 4090, 5, out _));
        Assert.Equal(Errno.EFAULT, Copy.Copyin(UserAccess.Access, cpu, u.Uvm, vm.Map, 0x7000_0000, back));
        Assert.Equal(Errno.EFAULT, Copy.Copyout(UserAccess.Access, cpu, u.Uvm, vm.Map, text, Locore.DirectMap(u.K.Machine, u.K.Boot.KernelL0)));
        Assert.Equal(Errno.EFAULT, Copy.Copyout(UserAccess.Access, cpu, u.Uvm, vm.Map, text, va + 2 * 4096 - 4));      // runs off the end
        u.FreeAll(vm);
    }

    [Fact]
    public void Teardown_is_breadth_first_leaves_an_empty_map_and_a_second_teardown_does_nothing()
    {
        var u = new UvmFixture();
        var vm = u.NewSpace();
        for (int i = 0; i < 7; i++)
        {
            ulong va = u.Mmap(vm, 4096, addr: 0x2000_0000 + (ulong)i * 0x10000, flags: MapFlags.Private | MapFlags.Anon | MapFlags.Fixed);
            u.Write(u.Cpu(), vm, va, (ulong)i);
        }
        var order = new int[vm.Map.Entries.Count];
        vm.Map.TeardownOrder(order);
        Assert.Equal([3, 1, 5, 0, 2, 4, 6], order.Select(i => (int)((vm.Map.Entries[i].Start - 0x2000_0000) / 0x10000)));
        u.Switch(u.Cpu(), vm);
        u.K.Pmaps.PmapPurge(u.Cpu(), vm.Pmap);
        long vae = u.K.Machine.TotalCounters().Tlbi(TlbiOp.Vae1Is);
        u.Uvm.UvmspacePurge(u.Cpu(), vm);
        Assert.Equal(0, u.K.Machine.TotalCounters().Tlbi(TlbiOp.Vae1Is) - vae);  // purged pmap: no per-page TLBI
        Assert.Empty(vm.Map.Entries);
        Assert.Equal(0, u.K.Pages.Count(PageUse.Anon));
        u.Uvm.UvmspacePurge(u.Cpu(), vm);
        u.K.Pmaps.PmapDeactivate(u.Cpu(), vm.Pmap);                             // a no-op after the purge
        u.Uvm.UvmspaceFree(u.Cpu(), vm);
        u.K.AssertCleanAndNoLeaks();
    }
}

/// <summary>uvm_purge in exit1, then uvm_exit in the reaper: the TLB work of each half, exactly.</summary>
public sealed class UvmGlueTests
{
    [Fact]
    public void Purge_invalidates_the_ASID_once_and_the_reapers_free_finds_nothing_to_unmap()
    {
        var u = new UvmFixture(cpus: 2);
        var cpu = u.Cpu(1);
        var vm = u.NewSpace();
        ulong va = u.Mmap(vm, 64 * 4096);
        for (int i = 0; i < 64; i++) u.Write(cpu, vm, va + (ulong)i * 4096, (ulong)i);
        u.Switch(cpu, vm);
        var before = u.K.Machine.TotalCounters();
        long aside = before.Tlbi(TlbiOp.Aside1Is), vae = before.Tlbi(TlbiOp.Vae1Is), vale = before.Tlbi(TlbiOp.Vale1Is);

        u.Uvm.UvmPurge(cpu, vm);                                                    // exit1
        var purged = u.K.Machine.TotalCounters();
        Assert.Equal(1, purged.Tlbi(TlbiOp.Aside1Is) - aside);
        Assert.Equal(0, purged.Tlbi(TlbiOp.Vae1Is) - vae + purged.Tlbi(TlbiOp.Vale1Is) - vale);
        Assert.Equal(0, u.K.Pages.Count(PageUse.Anon));                             // the pages are free already
        Assert.Equal(0, vm.Pmap.ResidentCount);
        Assert.Null(u.K.Pmaps.CurrentPmap(cpu));
        Assert.Equal(Ttbr.Create(u.K.Pmaps.EmptyL0, 0), cpu.Ttbr0);                 // the empty table, ASID 0

        u.K.Pmaps.PmapSetTtb(u.Cpu(0), vm.Pmap);                                    // switched back in before sched_exit:
        Assert.Equal(Ttbr.Create(u.K.Pmaps.EmptyL0, 0), u.Cpu(0).Ttbr0);            // pm_pt0pa is the empty table now
        u.K.Pmaps.PmapDeactivate(cpu, vm.Pmap);                                     // exit1's pmap_deactivate: a no-op now
        u.Uvm.UvmExit(cpu, vm);                                                     // the reaper
        var freed = u.K.Machine.TotalCounters();
        Assert.Equal(0, freed.Tlbi(TlbiOp.Vae1Is) - vae + freed.Tlbi(TlbiOp.Vale1Is) - vale);
        u.K.AssertCleanAndNoLeaks();
    }

    [Fact]
    public void Purge_of_a_shared_vmspace_panics()
    {
        var u = new UvmFixture(cpus: 1);
        var vm = u.NewSpace();
        u.Switch(u.Cpu(), vm);
        Uvm.UvmspaceAddref(vm);
        Assert.Contains("uvm_purge", Assert.Throws<KernelPanicException>(() => u.Uvm.UvmPurge(u.Cpu(), vm)).Message);
        u.Uvm.UvmspaceFree(u.Cpu(), vm);                                            // back to one reference
        u.Uvm.UvmPurge(u.Cpu(), vm);
        u.Uvm.UvmExit(u.Cpu(), vm);
        u.K.AssertCleanAndNoLeaks();
    }
}
