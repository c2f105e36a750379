using MiniBSD.Hal;
using MiniBSD.Hal.Memory;

namespace MiniBSD.Kernel.Uvm;

/// <summary>
/// struct uvm_object (OpenBSD uvm_object.h), as MiniBSD uses it: a read-only set of pages holding a program's text
/// or initialised data, shared by every mapping of it (processes running the same program share its text pages).
/// A private mapping that is written gets its own copy of the page in an anon (copy-on-write).
/// </summary>
public sealed class UvmObject
{
    internal UvmObject(ulong[] pages) => Pages = pages;

    /// <summary>uo_refs: map entries (and the program registry, if it keeps one) referring to the object.</summary>
    public int Ref { get; internal set; } = 1;

    /// <summary>The object's pages, in offset order.</summary>
    public ulong[] Pages { get; }

    public int PageCount => Pages.Length;
}

public sealed partial class Uvm
{
    /// <summary>
    /// Makes an object holding <paramref name="contents"/> (zero-padded to whole pages), its pages counted as
    /// <paramref name="use"/>; null on ENOMEM (nothing is left allocated then).
    /// </summary>
    public UvmObject? UvmObjectCreate(Cpu cpu, ReadOnlySpan<byte> contents, PageUse use = PageUse.Text)
    {
        int count = Math.Max(1, (contents.Length + PhysicalMemory.FrameSize - 1) / PhysicalMemory.FrameSize);
        var pages = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            if (!Pages.TryAlloc(cpu, use, zero: true, out pages[i]))
            {
                for (int j = 0; j < i; j++) Pages.Free(cpu, pages[j]);
                return null;
            }
            int offset = i * PhysicalMemory.FrameSize;
            if (offset < contents.Length)
                Machine.Memory.WriteBytes(pages[i], contents.Slice(offset, Math.Min(PhysicalMemory.FrameSize, contents.Length - offset)));
        }
        return new UvmObject(pages);
    }

    /// <summary>uvm_objref.</summary>
    public static void UvmObjectReference(UvmObject obj) => obj.Ref++;

    /// <summary>uvm_objunref: at the last reference the pages go back to the allocator.</summary>
    public void UvmObjectUnref(Cpu cpu, UvmObject obj)
    {
        Kern.Systm.Kassert(obj.Ref > 0, "uvm_objunref: object already freed");
        if (--obj.Ref > 0) return;
        foreach (var pa in obj.Pages) Pages.Free(cpu, pa);
    }
}
