using MiniBSD.Hal;
using MiniBSD.Kernel.Abi;

namespace MiniBSD.Kernel.Uvm;

/// <summary>
/// The memory system calls of OpenBSD's uvm_mmap.c, with POSIX errors: mmap (anonymous, private or shared,
/// MAP_FIXED, PROT_NONE guards), munmap, mprotect, and obreak. Only anonymous memory is mappable: MiniBSD has no
/// files to map.
/// </summary>
public sealed partial class Uvm
{
    /// <summary>sys_mmap: EINVAL for a bad length, flags, protection or fixed address; ENOMEM when no room is left.</summary>
    public Errno SysMmap(Cpu cpu, Vmspace vm, ulong addr, ulong length, VmProt prot, MapFlags flags, out ulong result)
    {
        result = 0;
        bool shared = (flags & MapFlags.Shared) != 0, priv = (flags & MapFlags.Private) != 0;
        if (length == 0 || shared == priv || (flags & MapFlags.Anon) == 0 || (prot & ~VmProt.All) != 0) return Errno.EINVAL;
        if ((flags & ~(MapFlags.Shared | MapFlags.Private | MapFlags.Fixed | MapFlags.Anon)) != 0) return Errno.EINVAL;
        ulong size = RoundPage(length);
        if (size == 0) return Errno.ENOMEM;
        var map = vm.Map;
        if ((flags & MapFlags.Fixed) != 0)
        {
            if ((addr & 0xFFF) != 0 || addr < map.Min || addr + size > map.Max || addr + size < addr) return Errno.EINVAL;
            UvmUnmapRemove(cpu, map, addr, addr + size);
        }
        else
        {
            addr = map.FindSpace(size, addr == 0 ? VmLayout.MmapBase : RoundPage(addr));
            if (addr == 0) return Errno.ENOMEM;
        }
        UvmMapAnon(map, addr, size, prot, VmProt.All, shared ? VmInherit.Share : VmInherit.Copy);
        result = addr;
        return Errno.None;
    }

    /// <summary>sys_munmap: EINVAL for an unaligned address, a zero length or a range outside user space.</summary>
    public Errno SysMunmap(Cpu cpu, Vmspace vm, ulong addr, ulong length)
    {
        ulong size = RoundPage(length);
        if ((addr & 0xFFF) != 0 || length == 0 || !InUserSpace(vm.Map, addr, size)) return Errno.EINVAL;
        UvmUnmapRemove(cpu, vm.Map, addr, addr + size);
        return Errno.None;
    }

    /// <summary>
    /// sys_mprotect: EINVAL for an unaligned address or bad protection; ENOMEM when part of the range is not mapped;
    /// EACCES when the protection exceeds a mapping's maximum.
    /// </summary>
    public Errno SysMprotect(Cpu cpu, Vmspace vm, ulong addr, ulong length, VmProt prot)
    {
        ulong size = RoundPage(length);
        if ((addr & 0xFFF) != 0 || (prot & ~VmProt.All) != 0 || !InUserSpace(vm.Map, addr, size)) return Errno.EINVAL;
        if (size == 0) return Errno.None;
        if (!Covered(vm.Map, addr, addr + size)) return Errno.ENOMEM;
        return UvmMapProtect(cpu, vm.Map, addr, addr + size, prot) ? Errno.None : Errno.EACCES;
    }

    /// <summary>
    /// sys_obreak: moves the end of the data segment to <paramref name="newBreak"/>, mapping or unmapping whole pages.
    /// ENOMEM below the data segment's start, beyond its limit, or over another mapping.
    /// </summary>
    public Errno SysObreak(Cpu cpu, Vmspace vm, ulong newBreak)
    {
        if (newBreak < vm.DataStart || newBreak - vm.DataStart > VmLayout.MaxData) return Errno.ENOMEM;
        ulong oldEnd = RoundPage(vm.Break), newEnd = RoundPage(newBreak);
        if (newEnd > oldEnd)
        {
            if (!vm.Map.IsFree(oldEnd, newEnd)) return Errno.ENOMEM;
            if (vm.Map.Lookup(oldEnd - 1) is { } last && CanExtend(last, oldEnd)) Extend(last, newEnd);
            else UvmMapAnon(vm.Map, oldEnd, newEnd - oldEnd, VmProt.ReadWrite, VmProt.All, VmInherit.Copy);
        }
        else if (newEnd < oldEnd)
        {
            UvmUnmapRemove(cpu, vm.Map, newEnd, oldEnd);
        }
        vm.Break = newBreak;
        return Errno.None;
    }

    /// <summary>
    /// uvm_map's join with the entry before (uvm_mapent_tryjoin): the heap's last entry grows instead of a new entry
    /// beside it when it is anonymous, read-write, inherited by copy, and its amap (if any) is its own and ends with
    /// it, which amap_extend can grow in place. So a heap grown page by page stays one entry, as in OpenBSD.
    /// </summary>
    private static bool CanExtend(VmMapEntry e, ulong end) =>
        e.End == end && e.Object is null && e.Protection == VmProt.ReadWrite && e.MaxProtection == VmProt.All
        && e.Inheritance == VmInherit.Copy && !e.NeedsCopy
        && (e.Amap is null || (e.Amap.Ref == 1 && e.AmapOffset + (int)e.Pages == e.Amap.Slots));

    private static void Extend(VmMapEntry e, ulong newEnd)
    {
        int more = (int)((newEnd - e.End) >> 12);
        e.Amap?.Extend(more);   // amap_extend
        e.End = newEnd;
    }

    private static ulong RoundPage(ulong x) => (x + 0xFFF) & ~0xFFFUL;

    private static bool InUserSpace(VmMap map, ulong addr, ulong size) =>
        addr >= map.Min && addr + size <= map.Max && addr + size >= addr;

    private static bool Covered(VmMap map, ulong start, ulong end)
    {
        ulong at = start;
        foreach (var e in map.Overlapping(start, end))
        {
            if (e.Start > at) return false;
            at = e.End;
        }
        return at >= end;
    }
}
