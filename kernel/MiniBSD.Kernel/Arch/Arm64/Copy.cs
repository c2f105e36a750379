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
