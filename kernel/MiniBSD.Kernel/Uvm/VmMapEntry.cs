namespace MiniBSD.Kernel.Uvm;

/// <summary>How fork passes an entry to the child (OpenBSD MAP_INHERIT_*).</summary>
public enum VmInherit : byte
{
    Share,
    Copy,
    None,
}

/// <summary>
/// struct vm_map_entry (OpenBSD uvm_map.h): [Start, End) with its protection, maximum protection, inheritance, and
/// its anonymous memory: an amap reference (the amap and the slot of <see cref="Start"/>). NeedsCopy marks an amap
/// shared copy-on-write with another entry since fork: the first write fault gives this entry its own amap.
/// </summary>
public sealed class VmMapEntry
{
    public ulong Start { get; internal set; }
    public ulong End { get; internal set; }
    public VmProt Protection { get; internal set; }
    public VmProt MaxProtection { get; internal set; }
    public VmInherit Inheritance { get; internal set; } = VmInherit.Copy;

    /// <summary>aref.ar_amap.</summary>
    public VmAmap? Amap { get; internal set; }

    /// <summary>aref.ar_pageoff: the amap slot that maps <see cref="Start"/>.</summary>
    public int AmapOffset { get; internal set; }

    /// <summary>UVM_ET_NEEDSCOPY.</summary>
    public bool NeedsCopy { get; internal set; }

    /// <summary>object.uvm_obj: the object backing pages no anon covers (program text or data), or null (zero-fill).</summary>
    public UvmObject? Object { get; internal set; }

    /// <summary>The object page that maps <see cref="Start"/>.</summary>
    public int ObjectOffset { get; internal set; }

    /// <summary>A guard (PROT_NONE) region: reserved, never mapped.</summary>
    public bool IsGuard => Protection == VmProt.None;

    public ulong Pages => (End - Start) >> 12;

    /// <summary>The amap slot for a page of this entry.</summary>
    public int Slot(ulong va) => AmapOffset + (int)((va - Start) >> 12);

    public VmMapEntry CloneShape() => new()
    {
        Start = Start, End = End, Protection = Protection, MaxProtection = MaxProtection, Inheritance = Inheritance,
        Amap = Amap, AmapOffset = AmapOffset, NeedsCopy = NeedsCopy, Object = Object, ObjectOffset = ObjectOffset,
    };

    /// <summary>The object page for a page of this entry.</summary>
    public int ObjectPage(ulong va) => ObjectOffset + (int)((va - Start) >> 12);

    public override string ToString() =>
        $"[0x{Start:X}, 0x{End:X}) {Protection}/{MaxProtection} {Inheritance}{(Amap is null ? "" : $" amap+{AmapOffset}")}{(Object is null ? "" : $" object+{ObjectOffset}")}{(NeedsCopy ? " needs-copy" : "")}";
}
