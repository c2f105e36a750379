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
    /// <summary>
    /// The calls syscalls.master (1.269) marks NOLOCK: mi_syscall runs every other one under KERNEL_LOCK. Of
    /// MiniBSD's, exit, fork, wait4, obreak, getrusage, sigaction, reboot, execve and kill take the big lock.
    /// </summary>
    public static readonly IReadOnlySet<SysCall> NoLock = new HashSet<SysCall>
    {
        SysCall.Read, SysCall.Write, SysCall.Open, SysCall.Close, SysCall.Getpid, SysCall.Getppid, SysCall.Dup,
        SysCall.Sigprocmask, SysCall.Mmap, SysCall.Munmap, SysCall.Mprotect, SysCall.ClockGettime, SysCall.Dup2,
        SysCall.Nanosleep, SysCall.Pipe2, SysCall.Sysctl, SysCall.Pipe, SysCall.SchedYield,
    };

    private readonly SyscallHandler?[] _table = new SyscallHandler?[512];   // SYS_MAXSYSCALL is below 512
    private readonly bool[] _locked = new bool[512];                          // !(sy_flags & SY_NOLOCK)

    public void Add(SysCall code, SyscallHandler handler)
    {
        if (_table[(int)code] is not null) throw new InvalidOperationException($"sysent: {code} ({(int)code}) registered twice");
        _table[(int)code] = handler;
        _locked[(int)code] = !NoLock.Contains(code);
    }

    /// <summary>Whether mi_syscall takes KERNEL_LOCK around <paramref name="code"/> (false for unknown numbers).</summary>
    public bool Locked(long code) => (ulong)code < (ulong)_locked.Length && _locked[code];

    /// <summary>The handler for <paramref name="code"/>, or null (sys_nosys: SIGSYS and ENOSYS).</summary>
    public SyscallHandler? Lookup(long code) => (ulong)code < (ulong)_table.Length ? _table[code] : null;

    /// <summary>The calls implemented, in number order.</summary>
    public IEnumerable<SysCall> Implemented =>
        Enumerable.Range(0, _table.Length).Where(i => _table[i] is not null).Select(i => (SysCall)i);
}
