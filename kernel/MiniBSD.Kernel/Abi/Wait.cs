namespace MiniBSD.Kernel.Abi;

/// <summary>
/// The wait(2) status word and wait4 options, as OpenBSD's sys/wait.h encodes them: the low 7 bits are the terminating
/// signal (0 for a normal exit, 0177 for a stopped child), bit 7 the core flag, bits 8-15 the exit code or stop signal.
/// </summary>
public static class Wait
{
    public const int WNOHANG = 0x01;
    public const int WUNTRACED = 0x02;
    public const int WCONTINUED = 0x08;

    /// <summary>wait4's pid argument: any child.</summary>
    public const int WAIT_ANY = -1;
    /// <summary>wait4's pid argument: any child in the caller's process group.</summary>
    public const int WAIT_MYPGRP = 0;

    public const int WCOREFLAG = 0x80;
    private const int WSTOPPED = 0x7f;       // _WSTOPPED, 0177

    /// <summary>W_EXITCODE(ret, sig): the status wait4 reports for a process that exited or was killed.</summary>
    public static int ExitCode(int ret, int sig) => (ret << 8) | sig;

    /// <summary>W_STOPCODE(sig).</summary>
    public static int StopCode(int sig) => (sig << 8) | WSTOPPED;

    /// <summary>_WCONTINUED (0177777): the status of a child continued by SIGCONT.</summary>
    public const int Continued = 0xffff;

    public static bool IfExited(int status) => (status & 0x7f) == 0;
    public static int ExitStatus(int status) => (int)(((uint)status >> 8) & 0xff);
    public static bool IfSignaled(int status) => (status & 0x7f) != WSTOPPED && (status & 0x7f) != 0;
    public static Signal TermSig(int status) => (Signal)(status & 0x7f);
    public static bool CoreDump(int status) => (status & WCOREFLAG) != 0;
    public static bool IfStopped(int status) => (status & 0xff) == WSTOPPED;
    public static Signal StopSig(int status) => (Signal)(((uint)status >> 8) & 0xff);
    public static bool IfContinued(int status) => (status & Continued) == Continued;

    /// <summary>How a status reads to a person: "exited 3", "killed by SIGSEGV (core dumped)", "stopped by SIGSTOP".</summary>
    public static string Describe(int status) =>
        IfContinued(status) ? "continued"
        : IfStopped(status) ? $"stopped by {StopSig(status)}"
        : IfExited(status) ? $"exited {ExitStatus(status)}"
        : $"killed by {TermSig(status)}{(CoreDump(status) ? " (core dumped)" : "")}";
}
