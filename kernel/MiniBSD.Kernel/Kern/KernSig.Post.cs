using MiniBSD.Kernel.Abi;

namespace MiniBSD.Kernel.Kern;

/// <summary>
/// kern_sig.c's posting side: prsignal/ptsignal (a signal joins ps_siglist and, if it will act, wakes a thread in an
/// interruptible sleep) and trapsignal (a fault's signal, which a program cannot ignore or block away).
/// </summary>
public static class KernSigPost
{
    /// <summary>
    /// ptsignal: an ignored signal is dropped; any other is posted. One that will act (not blocked, not ignored by
    /// default) ends a PCATCH sleep of the process's thread, whose system call then fails with EINTR.
    /// </summary>
    public static void Ptsignal(Sched sched, Process pr, Signal signal, long at)
    {
        if (pr.SigActs.DiscardsOnPost(signal) || pr.Is(ProcessFlags.Exiting)) return;
        pr.SigList |= SigSet.Mask(signal);
        if (pr.MainThread is { } t && WillAct(pr, signal)) sched.InterruptSleep(t, at);
    }

    /// <summary>
    /// trapsignal for a synchronous fault: if the signal is ignored, caught or blocked, its action is reset to the
    /// default and it is unblocked first (a fault that cannot be handled must not be retried forever), then posted.
    /// </summary>
    public static void Trapsignal(Process pr, Signal signal)
    {
        var acts = pr.SigActs;
        if (acts.Disposition(signal) is SigDisposition.Ignore or SigDisposition.Catch)
            acts.Sigaction((int)signal, SigAction.Default, out _);
        acts.Sigprocmask(SigSet.SIG_UNBLOCK, SigSet.Mask(signal), out _);
        pr.SigList |= SigSet.Mask(signal);
    }

    /// <summary>A pending signal will do something when delivered (it is not blocked and its action is not to ignore).</summary>
    public static bool WillAct(Process pr, Signal signal) =>
        (pr.SigActs.Blocked & SigSet.Mask(signal)) == 0
        && pr.SigActs.Disposition(signal) is not (SigDisposition.Ignore or SigDisposition.Continue);

    /// <summary>Some pending signal will act when delivered: a PCATCH sleep must not start (sleep_signal_check).</summary>
    public static bool AnyWillAct(Process pr)
    {
        for (uint pending = pr.SigList; pending != 0;)
        {
            var s = SigSet.Lowest(pending);
            if (WillAct(pr, s)) return true;
            pending &= ~SigSet.Mask(s);
        }
        return false;
    }

    /// <summary>A signal that ends the process is pending and deliverable (user memory access stops at once then).</summary>
    public static bool FatalPending(Process pr)
    {
        uint pending = pr.SigList & ~pr.SigActs.Blocked;
        while (pending != 0)
        {
            var s = SigSet.Lowest(pending);
            if (pr.SigActs.Disposition(s) is SigDisposition.Terminate or SigDisposition.Core) return true;
            pending &= ~SigSet.Mask(s);
        }
        return false;
    }
}
