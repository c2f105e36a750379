using MiniBSD.Hal;
using MiniBSD.Hal.Registers;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Tests.Kernel;

/// <summary>Program text and data as shared objects: shared read-only pages, private copies on write, exec.</summary>
public abstract class UvmObjectTests(Arch arch)
{
    private const ulong Text = 0x40_0000, Data = 0x60_0000;

    private static UvmObject Object(UvmFixture u, ulong first, int pages)
    {
        var bytes = new byte[pages * 4096];
        for (int i = 0; i < pages; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 4096), first + (ulong)i);
        return u.Uvm.UvmObjectCreate(u.Cpu(), bytes)!;
    }

    [Fact]
    public void Two_processes_share_text_pages_and_keep_private_copies_of_written_data()
    {
        var u = new UvmFixture(arch: arch);
        var text = Object(u, 0x7E57, 2);
        var data = Object(u, 0xDA7A, 1);
        Assert.Equal(3, u.Pages.Count(PageUse.Text));
        var a = u.NewSpace();
        var b = u.NewSpace();
        foreach (var vm in new[] { a, b })
        {
            u.Uvm.UvmMapObject(vm.Map, Text, text, 0, 2, VmProt.Read | VmProt.Execute, VmProt.Read | VmProt.Execute);
            u.Uvm.UvmMapObject(vm.Map, Data, data, 0, 1, VmProt.ReadWrite, VmProt.All);
        }
        Assert.Equal(0x7E57UL, u.Read(u.Cpu(0), a, Text));
        Assert.Equal(0x7E58UL, u.Read(u.Cpu(0), a, Text + 4096));
        Assert.Equal(0x7E58UL, u.Read(u.Cpu(1), b, Text + 4096));
        Assert.True(u.Pmaps.PmapExtract(u.Cpu(), a.Pmap, Text + 4096, out ulong pa));
        Assert.True(u.Pmaps.PmapExtract(u.Cpu(), b.Pmap, Text + 4096, out ulong pb));
        Assert.Equal(pa, pb);                                                   // the same physical page
        Assert.Equal(text.Pages[1], pa);
        ulong v = 1;
        var o = u.User(u.Cpu(0), a, Text, true, ref v);                         // text is not writable
        Assert.Equal((Signal.SIGSEGV, SigCode.SegvAccErr), (o.Signal, o.Code));
        Assert.Equal(0xDA7AUL, u.Read(u.Cpu(0), a, Data));                      // data mapped (read-only, the object's)
        u.EnterUser(u.Cpu(0));
        Assert.True(u.Cpu(0).TryFetch(Text));                                   // text executes in user mode
        Assert.False(u.Cpu(0).TryFetch(Data));                                  // data never executes
        if (arch == Arch.Arm64) Assert.Equal(Esr.InstructionAbort(true, FaultStatus.PermissionL3), u.Cpu(0).Esr); // UXN
        else Assert.Equal(0x15u, u.Cpu(0).Frame.ErrorCode);                    // #PF: P, U/S, I/D (XD)
        long copies = u.Machine.TotalCounters().FramesCopied;
        u.Write(u.Cpu(0), a, Data + 8, 5);                                       // private copy of the data page
        Assert.Equal(1, u.Machine.TotalCounters().FramesCopied - copies);
        Assert.Equal(0xDA7AUL, u.Read(u.Cpu(0), a, Data));                      // copied contents
        Assert.Equal(0UL, u.Read(u.Cpu(1), b, Data + 8));                        // b still sees the object
        u.Uvm.UvmObjectUnref(u.Cpu(), text);                                              // the creator lets go; the mappings
        u.Uvm.UvmObjectUnref(u.Cpu(), data);                                              // keep the objects alive
        Assert.Equal(3, u.Pages.Count(PageUse.Text));
        u.FreeAll(a, b);                                                         // the last unmap frees them
    }

    [Fact]
    public void Fork_shares_object_pages_and_clipping_keeps_object_offsets()
    {
        var u = new UvmFixture(arch: arch);
        var data = Object(u, 100, 4);
        var parent = u.NewSpace();
        u.Uvm.UvmMapObject(parent.Map, Data, data, 0, 4, VmProt.ReadWrite, VmProt.All);
        u.Write(u.Cpu(), parent, Data + 4096, 7);                                // page 1 promoted before the fork
        Assert.Equal(Errno.None, u.Uvm.SysMprotect(u.Cpu(), parent, Data + 2 * 4096, 4096, VmProt.Read));
        Assert.Equal(3, parent.Map.Entries.Count);
        Assert.Equal(102UL, u.Read(u.Cpu(), parent, Data + 2 * 4096));          // object offset 2 after clipping
        Assert.Equal(103UL, u.Read(u.Cpu(), parent, Data + 3 * 4096));
        var child = u.Fork(u.Cpu(), parent);
        Assert.Equal(7UL, u.Read(u.Cpu(1), child, Data + 4096));                 // promoted before the fork: shared anon
        Assert.Equal(100UL, u.Read(u.Cpu(1), child, Data));                      // still the object's page
        Assert.Equal(7, data.Ref);                                               // creator, 3 parent pieces, 3 child pieces
        u.Uvm.UvmObjectUnref(u.Cpu(), data);
        u.FreeAll(parent, child);
    }

    [Fact]
    public void Exec_reuses_an_unshared_vmspace_emptied_and_keeps_its_pmap()
    {
        var u = new UvmFixture(arch: arch);
        var vm = u.NewSpace();
        ulong va = u.Mmap(vm, 4096);
        u.Write(u.Cpu(), vm, va, 1);
        var pm = vm.Pmap;
        var after = u.Uvm.UvmspaceExec(u.Cpu(), vm)!;
        Assert.Same(vm, after);
        Assert.Same(pm, after.Pmap);
        Assert.Empty(after.Map.Entries);
        Assert.Equal(0, u.Pages.Count(PageUse.Anon));
        ulong v = 0;
        Assert.Equal(Signal.SIGSEGV, u.User(u.Cpu(), after, va, false, ref v).Signal);
        u.FreeAll(after);
    }
}

public sealed class UvmObjectTestsArm64() : UvmObjectTests(Arch.Arm64);

public sealed class UvmObjectTestsAmd64() : UvmObjectTests(Arch.Amd64);
