using System.Text;
using MiniBSD.Kernel.Abi;

namespace MiniBSD.Kernel.Kern;

/// <summary>
/// kern_sysctl.c's sys_sysctl, read-only, for the few names a workload asks (hw.ncpu for make -j, hw.pagesize,
/// hw.physmem, kern.maxproc, kern.ostype, kern.osrelease). Values are copied out as sysctl_rdint, sysctl_rdquad and
/// sysctl_rdstring do: with a NULL old pointer only the size is returned; a short buffer is ENOMEM; setting any of
/// them is EPERM; an unknown name is EOPNOTSUPP.
/// </summary>
public sealed class KernSysctl(Uvm.Uvm uvm, KernProc procs)
{
    /// <summary>kern.osrelease.</summary>
    public const string OsRelease = "7.8";

    public void Register(Sysent s) => s.Add(SysCall.Sysctl, SysSysctl);

    /// <summary>sys_sysctl(name, namelen, old, oldlenp, new, newlen).</summary>
    private IEnumerator<Op> SysSysctl(Proc p, SyscallArgs a) => Op.Returning(Sysctl(p, a) is var e && e == Errno.None ? 0 : -(long)e);

    private Errno Sysctl(Proc p, SyscallArgs a)
    {
        ulong name = (ulong)a.A0, old = (ulong)a.A2, oldlenp = (ulong)a.A3, @new = (ulong)a.A4;
        if (a.A1 is < 2 or > Abi.Sysctl.CTL_MAXNAME) return Errno.EINVAL;
        Span<byte> mib = stackalloc byte[8];
        if (Copy.Copyin(uvm, p, name, mib) is not Errno.None and var fault) return fault;
        int top = BitConverter.ToInt32(mib), second = BitConverter.ToInt32(mib[4..]);
        if (a.A1 != 2 || Value(top, second) is not { } value) return Errno.EOPNOTSUPP;
        if (@new != 0) return Errno.EPERM;   // every MiniBSD sysctl is read-only
        return CopyoutValue(p, value, old, oldlenp);
    }

    /// <summary>The bytes of a value: an int, a quad, or a NUL-terminated string.</summary>
    private byte[]? Value(int top, int second) => (top, second) switch
    {
        (Abi.Sysctl.CTL_KERN, Abi.Sysctl.KERN_OSTYPE) => Str("MiniBSD"),
        (Abi.Sysctl.CTL_KERN, Abi.Sysctl.KERN_OSRELEASE) => Str(OsRelease),
        (Abi.Sysctl.CTL_KERN, Abi.Sysctl.KERN_MAXPROC) => BitConverter.GetBytes(procs.MaxProcesses),
        (Abi.Sysctl.CTL_HW, Abi.Sysctl.HW_MACHINE) => Str("arm64"),
        (Abi.Sysctl.CTL_HW, Abi.Sysctl.HW_NCPU) => BitConverter.GetBytes(uvm.Machine.Cpus.Count),
        (Abi.Sysctl.CTL_HW, Abi.Sysctl.HW_PAGESIZE) => BitConverter.GetBytes(4096),
        (Abi.Sysctl.CTL_HW, Abi.Sysctl.HW_PHYSMEM64) => BitConverter.GetBytes((long)uvm.Machine.Memory.Size),
        _ => null,
    };

    private static byte[] Str(string s) => Encoding.ASCII.GetBytes(s + "\0");

    /// <summary>sysctl_rdstruct's copy-out: the size to *oldlenp, the value to old if it fits.</summary>
    private Errno CopyoutValue(Proc p, byte[] value, ulong old, ulong oldlenp)
    {
        long room = 0;
        if (oldlenp != 0 && Copy.CopyinLong(uvm, p, oldlenp, out room) is not Errno.None and var e1) return e1;
        if (old != 0)
        {
            if (oldlenp == 0 || room < value.Length) return Errno.ENOMEM;
            if (Copy.Copyout(uvm, p, value, old) is not Errno.None and var e2) return e2;
        }
        return oldlenp == 0 ? Errno.None : Copy.CopyoutLong(uvm, p, value.Length, oldlenp);
    }
}
