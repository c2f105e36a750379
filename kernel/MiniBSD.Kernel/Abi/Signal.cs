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
    SIGEMT = 7,
    SIGFPE = 8,
    SIGKILL = 9,
    SIGBUS = 10,
    SIGSEGV = 11,
    SIGSYS = 12,
    SIGPIPE = 13,
    SIGALRM = 14,
    SIGTERM = 15,
    SIGURG = 16,
    SIGSTOP = 17,
    SIGTSTP = 18,
    SIGCONT = 19,
    SIGCHLD = 20,
    SIGTTIN = 21,
    SIGTTOU = 22,
    SIGIO = 23,
    SIGXCPU = 24,
    SIGXFSZ = 25,
    SIGVTALRM = 26,
    SIGPROF = 27,
    SIGWINCH = 28,
    SIGINFO = 29,
    SIGUSR1 = 30,
    SIGUSR2 = 31,
    SIGTHR = 32,
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
