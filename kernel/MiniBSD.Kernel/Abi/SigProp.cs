namespace MiniBSD.Kernel.Abi;

/// <summary>Default-action properties of a signal: the SA_* bits of OpenBSD's sys/signalvar.h.</summary>
[Flags]
public enum SigProp
{
    None = 0,
    Kill = 0x01,     // SA_KILL: terminates the process by default
    Core = 0x02,     // SA_CORE: ditto, and dumps core
    Stop = 0x04,     // SA_STOP: suspends the process
    TtyStop = 0x08,  // SA_TTYSTOP: ditto, from a tty
    Ignore = 0x10,   // SA_IGNORE: ignored by default
    Cont = 0x20,     // SA_CONT: continues a suspended process
}

/// <summary>OpenBSD's sigprop[] table (kern/kern_sig.c): what a signal does when its action is SIG_DFL.</summary>
public static class SigProps
{
    /// <summary>NSIG in sys/signal.h: one more than the highest signal number.</summary>
    public const int NSIG = 33;

    private static ReadOnlySpan<byte> Table =>
    [
        0,                                          // unused
        (byte)SigProp.Kill,                         // SIGHUP
        (byte)SigProp.Kill,                         // SIGINT
        (byte)(SigProp.Kill | SigProp.Core),        // SIGQUIT
        (byte)(SigProp.Kill | SigProp.Core),        // SIGILL
        (byte)(SigProp.Kill | SigProp.Core),        // SIGTRAP
        (byte)(SigProp.Kill | SigProp.Core),        // SIGABRT
        (byte)(SigProp.Kill | SigProp.Core),        // SIGEMT
        (byte)(SigProp.Kill | SigProp.Core),        // SIGFPE
        (byte)SigProp.Kill,                         // SIGKILL
        (byte)(SigProp.Kill | SigProp.Core),        // SIGBUS
        (byte)(SigProp.Kill | SigProp.Core),        // SIGSEGV
        (byte)(SigProp.Kill | SigProp.Core),        // SIGSYS
        (byte)SigProp.Kill,                         // SIGPIPE
        (byte)SigProp.Kill,                         // SIGALRM
        (byte)SigProp.Kill,                         // SIGTERM
        (byte)SigProp.Ignore,                       // SIGURG
        (byte)SigProp.Stop,                         // SIGSTOP
        (byte)(SigProp.Stop | SigProp.TtyStop),     // SIGTSTP
        (byte)(SigProp.Ignore | SigProp.Cont),      // SIGCONT
        (byte)SigProp.Ignore,                       // SIGCHLD
        (byte)(SigProp.Stop | SigProp.TtyStop),     // SIGTTIN
        (byte)(SigProp.Stop | SigProp.TtyStop),     // SIGTTOU
        (byte)SigProp.Ignore,                       // SIGIO
        (byte)SigProp.Kill,                         // SIGXCPU
        (byte)SigProp.Kill,                         // SIGXFSZ
        (byte)SigProp.Kill,                         // SIGVTALRM
        (byte)SigProp.Kill,                         // SIGPROF
        (byte)SigProp.Ignore,                       // SIGWINCH
        (byte)SigProp.Ignore,                       // SIGINFO
        (byte)SigProp.Kill,                         // SIGUSR1
        (byte)SigProp.Kill,                         // SIGUSR2
        (byte)SigProp.Ignore,                       // SIGTHR
    ];

    /// <summary>True for 1..NSIG-1, the numbers kill(2) and sigaction(2) accept (0 is kill's "check only").</summary>
    public static bool IsValid(int signum) => signum > 0 && signum < NSIG;

    /// <summary>sigprop[signum]; the caller has checked the number with <see cref="IsValid"/>.</summary>
    public static SigProp Of(Signal signal) => (SigProp)Table[(int)signal];

    /// <summary>sigcantmask: SIGKILL and SIGSTOP can be neither caught, ignored nor blocked.</summary>
    public static bool CantMask(Signal signal) => signal is Signal.SIGKILL or Signal.SIGSTOP;
}
