using MiniBSD.Kernel.Abi;

namespace MiniBSD.Kernel.Kern;

/// <summary>kern_exit.c's system calls: sys_exit and sys_wait4.</summary>
public sealed partial class KernExit
{
    public void Register(Sysent s)
    {
        s.Add(SysCall.Exit, SysExit);
        s.Add(SysCall.Wait4, SysWait4);
    }

    /// <summary>sys_exit(rval): exit1 with the low 8 bits of the value (all a wait status can carry).</summary>
    private IEnumerator<Op> SysExit(Proc p, SyscallArgs a) => Exit1(p, (int)(a.A0 & 0xff), 0);

    /// <summary>
    /// sys_wait4(pid, status, options, rusage): dowait6, then the status (an int) and the child's struct rusage are
    /// copied out; EFAULT if either pointer is bad (the child has been reaped by then, as in OpenBSD).
    /// </summary>
    private IEnumerator<Op> SysWait4(Proc p, SyscallArgs a)
    {
        var result = new WaitResult();
        yield return Op.Call(Dowait6(p.Process!, (int)a.A0, (int)a.A2, result, catchSignals: true));
        long ret = p.Retval;
        if (ret > 0 && a.A1 != 0)
        {
            Span<byte> status = stackalloc byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(status, result.Status);
            if (Copy.Copyout(_uvm, p, status, (ulong)a.A1) != Errno.None) ret = -(long)Errno.EFAULT;
        }
        if (ret > 0 && a.A3 != 0)
        {
            Span<byte> ru = stackalloc byte[Rusage.Size];
            Rusage.Write(ru, result.ChildUsage);
            if (Copy.Copyout(_uvm, p, ru, (ulong)a.A3) != Errno.None) ret = -(long)Errno.EFAULT;
        }
        if (result.Zombie is { } zombie) Collected(p, zombie);   // the exit latency ends as wait4 returns
        yield return Op.Return(ret);
    }
}
