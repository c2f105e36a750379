namespace MiniBSD.Kernel.Abi;

/// <summary>sa_flags bits (OpenBSD sys/signal.h).</summary>
[Flags]
public enum SaFlags
{
    None = 0,
    OnStack = 0x0001,    // SA_ONSTACK
    Restart = 0x0002,    // SA_RESTART
    ResetHand = 0x0004,  // SA_RESETHAND
    NoCldStop = 0x0008,  // SA_NOCLDSTOP
    NoDefer = 0x0010,    // SA_NODEFER
    NoCldWait = 0x0020,  // SA_NOCLDWAIT
    SigInfo = 0x0040,    // SA_SIGINFO
}

/// <summary>
/// struct sigaction: a handler (SIG_DFL = 0, SIG_IGN = 1, otherwise the user handler's address), the signals blocked
/// while it runs, and flags.
/// </summary>
public readonly record struct SigAction(ulong Handler, uint Mask = 0, SaFlags Flags = SaFlags.None)
{
    public const ulong SIG_DFL = 0;
    public const ulong SIG_IGN = 1;

    public static SigAction Default => new(SIG_DFL);
    public static SigAction Ignore => new(SIG_IGN);
}

/// <summary>sigprocmask's how (sys/signal.h) and the sigset_t helpers of sys/signalvar.h.</summary>
public static class SigSet
{
    public const int SIG_BLOCK = 1;
    public const int SIG_UNBLOCK = 2;
    public const int SIG_SETMASK = 3;

    /// <summary>sigmask(sig): signal n is bit n-1.</summary>
    public static uint Mask(Signal sig) => 1u << ((int)sig - 1);

    /// <summary>sigcantmask: SIGKILL and SIGSTOP can never be blocked, caught or ignored.</summary>
    public static readonly uint CantMask = Mask(Signal.SIGKILL) | Mask(Signal.SIGSTOP);

    /// <summary>The lowest-numbered signal in <paramref name="set"/>, or None (ffs, as cursig picks).</summary>
    public static Signal Lowest(uint set) => set == 0 ? Signal.None : (Signal)(System.Numerics.BitOperations.TrailingZeroCount(set) + 1);
}
