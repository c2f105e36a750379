namespace MiniBSD.Kernel.Abi;

/// <summary>
/// System call numbers MiniBSD implements, as OpenBSD's kern/syscalls.master numbers them, so a trace reads like
/// ktrace(1) output and a student can look each one up in the OpenBSD tree by number or name (sys_NAME).
/// </summary>
public enum SysCall
{
    Exit = 1,
    Fork = 2,
    Read = 3,
    Write = 4,
    Open = 5,
    Close = 6,
    Wait4 = 11,
    Obreak = 17,
    Getrusage = 19,
    Getpid = 20,
    Getppid = 39,
    Dup = 41,
    Sigaction = 46,
    Sigprocmask = 48,
    Mmap = 49,   // 197 until OpenBSD 7.4 (pad_mmap since)
    Reboot = 55,
    Execve = 59,
    Vfork = 66,
    Munmap = 73,
    ClockGettime = 87,
    Mprotect = 74,
    Dup2 = 90,
    Nanosleep = 91,
    Pipe2 = 101,
    Kill = 122,
    Sysctl = 202,
    Pipe = 263,
    SchedYield = 298,
}
