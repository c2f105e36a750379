using MiniBSD.Hal;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Kernel.Arch.Arm64;

/// <summary>
/// copyin, copyout and copyinstr (OpenBSD arm64 copy.S / copystr.S): the kernel touches user memory only with
/// unprivileged loads and stores (LDTR/STTR, checked as EL0, while PSTATE.PAN keeps plain loads out). A fault is
/// handed to uvm_fault and the access retried; an address uvm cannot map is EFAULT.
/// </summary>
public static class Copy
{
    /// <summary>copyin for the thread <paramref name="p"/>, on its CPU and in its address space.</summary>
    public static Errno Copyin(Uvm.Uvm uvm, Kern.Proc p, ulong uaddr, Span<byte> destination) =>
        Copyin(uvm.Machine.Cpu(p.Cpu), uvm, p.Process!.Vmspace!.Map, uaddr, destination);

    /// <summary>copyout for the thread <paramref name="p"/>.</summary>
    public static Errno Copyout(Uvm.Uvm uvm, Kern.Proc p, ReadOnlySpan<byte> source, ulong uaddr) =>
        Copyout(uvm.Machine.Cpu(p.Cpu), uvm, p.Process!.Vmspace!.Map, source, uaddr);

    /// <summary>copyinstr for the thread <paramref name="p"/>.</summary>
    public static Errno Copyinstr(Uvm.Uvm uvm, Kern.Proc p, ulong uaddr, int maxLength, out string text) =>
        Copyinstr(uvm.Machine.Cpu(p.Cpu), uvm, p.Process!.Vmspace!.Map, uaddr, maxLength, out text);

    /// <summary>copyout of one 8-byte word (a pointer, an int64), little-endian as arm64 user space is.</summary>
    public static Errno CopyoutLong(Uvm.Uvm uvm, Kern.Proc p, long value, ulong uaddr)
    {
        Span<byte> b = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(b, value);
        return Copyout(uvm, p, b, uaddr);
    }

    /// <summary>copyin of one 8-byte word.</summary>
    public static Errno CopyinLong(Uvm.Uvm uvm, Kern.Proc p, ulong uaddr, out long value)
    {
        Span<byte> b = stackalloc byte[8];
        var error = Copyin(uvm, p, uaddr, b);
        value = error == Errno.None ? System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(b) : 0;
        return error;
    }

    public static Errno Copyin(Cpu cpu, Uvm.Uvm uvm, VmMap map, ulong uaddr, Span<byte> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            if (!Load(cpu, uvm, map, uaddr + (ulong)i, out byte b)) return Errno.EFAULT;
            destination[i] = b;
        }
        return Errno.None;
    }

    public static Errno Copyout(Cpu cpu, Uvm.Uvm uvm, VmMap map, ReadOnlySpan<byte> source, ulong uaddr)
    {
        for (int i = 0; i < source.Length; i++)
            if (!Store(cpu, uvm, map, uaddr + (ulong)i, source[i])) return Errno.EFAULT;
        return Errno.None;
    }

    /// <summary>copyinstr: a NUL-terminated string of at most <paramref name="maxLength"/> bytes with its NUL; ENAMETOOLONG beyond.</summary>
    public static Errno Copyinstr(Cpu cpu, Uvm.Uvm uvm, VmMap map, ulong uaddr, int maxLength, out string text)
    {
        text = "";
        var bytes = new List<byte>();
        for (int i = 0; i < maxLength; i++)
        {
            if (!Load(cpu, uvm, map, uaddr + (ulong)i, out byte b)) return Errno.EFAULT;
            if (b == 0)
            {
                text = System.Text.Encoding.UTF8.GetString(bytes.ToArray());
                return Errno.None;
            }
            bytes.Add(b);
        }
        return Errno.ENAMETOOLONG;
    }

    private static bool Load(Cpu cpu, Uvm.Uvm uvm, VmMap map, ulong va, out byte value)
    {
        for (int attempt = 0; attempt < 2; attempt++)
        {
            if (cpu.TryReadUnprivileged(va, 1, out ulong v))
            {
                value = (byte)v;
                return true;
            }
            if (!Fixup(cpu, uvm, map, va)) break;
        }
        value = 0;
        return false;
    }

    private static bool Store(Cpu cpu, Uvm.Uvm uvm, VmMap map, ulong va, byte value)
    {
        for (int attempt = 0; attempt < 2; attempt++)
        {
            if (cpu.TryWriteUnprivileged(va, 1, value)) return true;
            if (!Fixup(cpu, uvm, map, va)) break;
        }
        return false;
    }

    /// <summary>The onfault path: let uvm_fault map the page (ESR_EL1 says read or write); an address outside user space never resolves.</summary>
    private static bool Fixup(Cpu cpu, Uvm.Uvm uvm, VmMap map, ulong va) =>
        va < VmParam.VmMaxUserAddress && Trap.DataAbort(cpu, uvm, map).Resolved;
}
