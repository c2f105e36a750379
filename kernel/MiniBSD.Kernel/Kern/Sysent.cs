using MiniBSD.Kernel.Abi;

namespace MiniBSD.Kernel.Kern;

/// <summary>A system call's implementation: a frame run by the calling thread that returns a result (≥ 0) or -errno.</summary>
public delegate IEnumerator<Op> SyscallHandler(Proc p, SyscallArgs args);

/// <summary>
/// sysent[] (kern/init_sysent.c): the system call table, by OpenBSD number. Each kernel file registers the calls it
/// implements (sys_exit and sys_wait4 by kern_exit.c's class, and so on), so the table reads like syscalls.master.
/// </summary>
public sealed class Sysent
{
    private readonly SyscallHandler?[] _table = new SyscallHandler?[512];   // SYS_MAXSYSCALL is below 512

    public void Add(SysCall code, SyscallHandler handler)
    {
        if (_table[(int)code] is not null) throw new InvalidOperationException($"sysent: {code} ({(int)code}) registered twice");
        _table[(int)code] = handler;
    }

    /// <summary>The handler for <paramref name="code"/>, or null (sys_nosys: SIGSYS and ENOSYS).</summary>
    public SyscallHandler? Lookup(long code) => (ulong)code < (ulong)_table.Length ? _table[code] : null;

    /// <summary>The calls implemented, in number order.</summary>
    public IEnumerable<SysCall> Implemented =>
        Enumerable.Range(0, _table.Length).Where(i => _table[i] is not null).Select(i => (SysCall)i);
}
