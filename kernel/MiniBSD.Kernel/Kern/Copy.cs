using MiniBSD.Hal;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Kernel.Kern;

/// <summary>
/// How the kernel touches user memory on this machine, the machine-dependent half of copyin and copyout (OpenBSD's
/// copy.S): arm64 uses unprivileged loads and stores (LDTR/STTR) while PSTATE.PAN keeps plain ones out; amd64 opens
/// SMAP with STAC, moves the byte, and closes it with CLAC.
/// </summary>
public interface IUserAccess
{
    /// <summary>One byte of user memory, loaded as the kernel may; false when the access faulted.</summary>
    bool LoadUserByte(Cpu cpu, ulong va, out byte value);

    /// <summary>One byte stored to user memory; false when the access faulted.</summary>
    bool StoreUserByte(Cpu cpu, ulong va, byte value);

    /// <summary>
    /// The trap handler for the fault just taken (arm64 data_abort from ESR_EL1/FAR_EL1; amd64 the #PF handler from the
    /// error code and CR2): uvm_fault decides, and the answer says whether to retry or which signal to send.
    /// </summary>
    TrapOutcome Fault(Cpu cpu, Uvm.Uvm uvm, VmMap map);

    /// <summary>VM_MAXUSER_ADDRESS: an address at or above it is never the user's.</summary>
    ulong VmMaxUserAddress { get; }
}

/// <summary>
/// copyin, copyout and copyinstr (sys/systm.h): byte by byte through the machine's <see cref="IUserAccess"/>; a
/// fault goes to uvm_fault and the byte is tried once more; an address uvm cannot map is EFAULT.
/// </summary>
public static class Copy
{
    /// <summary>copyin for the thread <paramref name="p"/>, on its CPU and in its address space.</summary>
    public static Errno Copyin(Uvm.Uvm uvm, Proc p, ulong uaddr, Span<byte> destination) =>
        Copyin(uvm.UserAccess, uvm.Machine.Cpu(p.Cpu), uvm, p.Process!.Vmspace!.Map, uaddr, destination);

    /// <summary>copyout for the thread <paramref name="p"/>.</summary>
    public static Errno Copyout(Uvm.Uvm uvm, Proc p, ReadOnlySpan<byte> source, ulong uaddr) =>
        Copyout(uvm.UserAccess, uvm.Machine.Cpu(p.Cpu), uvm, p.Process!.Vmspace!.Map, source, uaddr);

    /// <summary>copyinstr for the thread <paramref name="p"/>.</summary>
    public static Errno Copyinstr(Uvm.Uvm uvm, Proc p, ulong uaddr, int maxLength, out string text) =>
        Copyinstr(uvm.UserAccess, uvm.Machine.Cpu(p.Cpu), uvm, p.Process!.Vmspace!.Map, uaddr, maxLength, out text);

    /// <summary>copyout of one 8-byte word (a pointer, an int64), little-endian as both ABIs are.</summary>
    public static Errno CopyoutLong(Uvm.Uvm uvm, Proc p, long value, ulong uaddr)
    {
        Span<byte> b = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(b, value);
        return Copyout(uvm, p, b, uaddr);
    }

    /// <summary>copyin of one 8-byte word.</summary>
    public static Errno CopyinLong(Uvm.Uvm uvm, Proc p, ulong uaddr, out long value)
    {
        Span<byte> b = stackalloc byte[8];
        var error = Copyin(uvm, p, uaddr, b);
        value = error == Errno.None ? System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(b) : 0;
        return error;
    }

    public static Errno Copyin(IUserAccess md, Cpu cpu, Uvm.Uvm uvm, VmMap map, ulong uaddr, Span<byte> destination)
    {
        for (int i = 0; i < destination.Length; i++)
            if (!Load(md, cpu, uvm, map, uaddr + (ulong)i, out destination[i])) return Errno.EFAULT;
        return Errno.None;
    }

    public static Errno Copyout(IUserAccess md, Cpu cpu, Uvm.Uvm uvm, VmMap map, ReadOnlySpan<byte> source, ulong uaddr)
    {
        for (int i = 0; i < source.Length; i++)
            if (!Store(md, cpu, uvm, map, uaddr + (ulong)i, source[i])) return Errno.EFAULT;
        return Errno.None;
    }

    /// <summary>copyinstr: a NUL-terminated string of at most <paramref name="maxLength"/> bytes with its NUL; ENAMETOOLONG beyond.</summary>
    public static Errno Copyinstr(IUserAccess md, Cpu cpu, Uvm.Uvm uvm, VmMap map, ulong uaddr, int maxLength, out string text)
    {
        text = "";
        var bytes = new List<byte>();
        for (int i = 0; i < maxLength; i++)
        {
            if (!Load(md, cpu, uvm, map, uaddr + (ulong)i, out byte b)) return Errno.EFAULT;
            if (b == 0)
            {
                text = System.Text.Encoding.UTF8.GetString(bytes.ToArray());
                return Errno.None;
            }
            bytes.Add(b);
        }
        return Errno.ENAMETOOLONG;
    }

    private static bool Load(IUserAccess md, Cpu cpu, Uvm.Uvm uvm, VmMap map, ulong va, out byte value)
    {
        for (int attempt = 0; attempt < 2; attempt++)
        {
            if (md.LoadUserByte(cpu, va, out value)) return true;
            if (!Fixup(md, cpu, uvm, map, va)) break;
        }
        value = 0;
        return false;
    }

    private static bool Store(IUserAccess md, Cpu cpu, Uvm.Uvm uvm, VmMap map, ulong va, byte value)
    {
        for (int attempt = 0; attempt < 2; attempt++)
        {
            if (md.StoreUserByte(cpu, va, value)) return true;
            if (!Fixup(md, cpu, uvm, map, va)) break;
        }
        return false;
    }

    /// <summary>The onfault path: let uvm_fault map the page; an address outside user space never resolves.</summary>
    private static bool Fixup(IUserAccess md, Cpu cpu, Uvm.Uvm uvm, VmMap map, ulong va) =>
        va < md.VmMaxUserAddress && md.Fault(cpu, uvm, map).Resolved;
}
