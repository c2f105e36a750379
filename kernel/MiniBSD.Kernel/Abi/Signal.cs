namespace MiniBSD.Kernel.Abi;

/// <summary>Signal numbers, as OpenBSD's sys/signal.h numbers them.</summary>
public enum Signal
{
    None = 0,
    SIGHUP = 1,
    SIGINT = 2,
    SIGQUIT = 3,
    SIGILL = 4,
    SIGTRAP = 5,
    SIGABRT = 6,
    SIGKILL = 9,
    SIGBUS = 10,
    SIGSEGV = 11,
    SIGPIPE = 13,
    SIGALRM = 14,
    SIGTERM = 15,
    SIGCHLD = 20,
}

/// <summary>si_code values for SIGSEGV and SIGBUS (sys/siginfo.h): the same numbers mean different things per signal.</summary>
public static class SigCode
{
    public const int SegvMapErr = 1;
    public const int SegvAccErr = 2;
    public const int BusAdrAln = 1;
    public const int BusAdrErr = 2;
    public const int BusObjErr = 3;
}
