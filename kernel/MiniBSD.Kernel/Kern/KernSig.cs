using MiniBSD.Kernel.Abi;

namespace MiniBSD.Kernel.Kern;

/// <summary>What a process does with a signal when it is delivered.</summary>
public enum SigDisposition : byte
{
    Ignore,      // discarded
    Terminate,   // the default action kills the process (SA_KILL)
    Core,        // ditto, with the core flag in the wait status (SA_CORE)
    Stop,        // the default action stops the process (SA_STOP)
    Continue,    // SIGCONT's default: resume if stopped, else nothing
    Catch,       // a user handler runs
}

/// <summary>
/// struct sigacts and the parts of kern_sig.c that read and change it: sigaction(2) (sys_sigaction and setsigvec),
/// sigprocmask(2), execsigs, and the disposition cursig/postsig give a signal. One per process, copied on fork.
/// </summary>
public sealed class SigActs
{
    private SigAction[] _actions;   // ps_sigact, ps_catchmask, flags
    // The action table is shared with the copies made by fork until either side changes it: a fork that copied
    // 33 actions every time would allocate half a kilobyte for a table the child almost never changes.
    private bool _actionsShared;
    private uint _ignore;   // ps_sigignore: signals to discard at once
    private uint _catch;    // ps_sigcatch: signals with a user handler

    public SigActs()
    {
        _actions = new SigAction[SigProps.NSIG];
        for (int s = 1; s < SigProps.NSIG; s++) SetSigvec((Signal)s, SigAction.Default, isInit: false);
    }

    private SigActs(SigActs parent)
    {
        parent._actionsShared = _actionsShared = true;
        _actions = parent._actions;
        (_ignore, _catch, NoCldWait, NoCldStop, Blocked) = (parent._ignore, parent._catch, parent.NoCldWait, parent.NoCldStop, parent.Blocked);
    }

    /// <summary>SAS_NOCLDWAIT: children of this process leave no zombie (SA_NOCLDWAIT, or SIGCHLD set to SIG_IGN).</summary>
    public bool NoCldWait { get; private set; }

    /// <summary>SAS_NOCLDSTOP: no SIGCHLD when a child stops.</summary>
    public bool NoCldStop { get; private set; }

    /// <summary>p_sigmask: signals blocked now (per thread in OpenBSD; MiniBSD processes have one thread).</summary>
    public uint Blocked { get; private set; }

    /// <summary>The action now set for <paramref name="signal"/>.</summary>
    public SigAction Action(Signal signal) => _actions[(int)signal];

    /// <summary>fork: the child gets a copy of the actions, flags and mask (sigactsinit copies the parent's).</summary>
    public SigActs Copy() => new(this);

    /// <summary>The action table, made this process's own before a change if fork left it shared.</summary>
    private SigAction[] WritableActions()
    {
        if (_actionsShared)
        {
            _actions = (SigAction[])_actions.Clone();
            _actionsShared = false;
        }
        return _actions;
    }

    /// <summary>
    /// sys_sigaction: EINVAL for a number outside 1..NSIG-1 or for changing SIGKILL or SIGSTOP; otherwise returns the
    /// old action and, when <paramref name="action"/> is given, sets it. <paramref name="isInit"/>: the caller is
    /// init, for which SAS_NOCLDWAIT is never set (its orphans must still become zombies it reaps).
    /// </summary>
    public Errno Sigaction(int signum, SigAction? action, out SigAction old, bool isInit = false)
    {
        old = default;
        if (!SigProps.IsValid(signum)) return Errno.EINVAL;
        var signal = (Signal)signum;
        if (action is not null && SigProps.CantMask(signal)) return Errno.EINVAL;
        old = _actions[signum];
        if (action is { } sa) SetSigvec(signal, sa, isInit);
        return Errno.None;
    }

    /// <summary>setsigvec: records the action and keeps ps_sigignore, ps_sigcatch and the SIGCHLD flags in step.</summary>
    private void SetSigvec(Signal signal, SigAction sa, bool isInit)
    {
        uint bit = SigSet.Mask(signal);
        WritableActions()[(int)signal] = sa with { Mask = sa.Mask & ~SigSet.CantMask };
        if (signal == Signal.SIGCHLD)
        {
            NoCldStop = (sa.Flags & SaFlags.NoCldStop) != 0;
            NoCldWait = !isInit && ((sa.Flags & SaFlags.NoCldWait) != 0 || sa.Handler == SigAction.SIG_IGN);
        }
        bool ignored = sa.Handler == SigAction.SIG_IGN
            || (sa.Handler == SigAction.SIG_DFL && (SigProps.Of(signal) & SigProp.Ignore) != 0);
        if (ignored)
        {
            if (signal != Signal.SIGCONT) _ignore |= bit;   // SIGCONT must still continue a stopped process
            _catch &= ~bit;
            return;
        }
        _ignore &= ~bit;
        if (sa.Handler == SigAction.SIG_DFL) _catch &= ~bit;
        else _catch |= bit;
    }

    /// <summary>sys_sigprocmask: SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK; SIGKILL and SIGSTOP stay unblocked.</summary>
    public Errno Sigprocmask(int how, uint mask, out uint old)
    {
        old = Blocked;
        mask &= ~SigSet.CantMask;
        switch (how)
        {
            case SigSet.SIG_BLOCK: Blocked |= mask; break;
            case SigSet.SIG_UNBLOCK: Blocked &= ~mask; break;
            case SigSet.SIG_SETMASK: Blocked = mask; break;
            default: return Errno.EINVAL;
        }
        return Errno.None;
    }

    /// <summary>
    /// execsigs: caught signals go back to SIG_DFL (a new image has no handlers); ignored ones stay ignored, except
    /// that SIGCHLD's SIG_IGN and SAS_NOCLDWAIT are reset, as OpenBSD (and Solaris) do; SAS_NOCLDSTOP stays.
    /// </summary>
    public void Execsigs()
    {
        for (int s = 1; s < SigProps.NSIG; s++)
        {
            var signal = (Signal)s;
            var sa = _actions[s];
            bool caught = (_catch & SigSet.Mask(signal)) != 0;
            bool childIgnored = signal == Signal.SIGCHLD && sa.Handler == SigAction.SIG_IGN;
            if (caught) SetSigvec(signal, SigAction.Default, isInit: false);
            else if (childIgnored) WritableActions()[s] = SigAction.Default;   // SIGCHLD's default is to ignore it anyway
        }
        NoCldWait = false;
    }

    /// <summary>psignal's first test: a signal the process ignores is dropped when it is posted (SIGKILL never is).</summary>
    public bool DiscardsOnPost(Signal signal) => (_ignore & SigSet.Mask(signal)) != 0;

    /// <summary>cursig: the lowest-numbered pending signal that is not blocked, or None.</summary>
    public Signal Cursig(uint pending) => SigSet.Lowest(pending & ~Blocked);

    /// <summary>What delivering <paramref name="signal"/> does now: the handler, or the default action of sigprop[].</summary>
    public SigDisposition Disposition(Signal signal)
    {
        uint bit = SigSet.Mask(signal);
        if ((_catch & bit) != 0) return SigDisposition.Catch;
        if ((_ignore & bit) != 0) return SigDisposition.Ignore;
        var prop = SigProps.Of(signal);
        if ((prop & SigProp.Cont) != 0) return SigDisposition.Continue;
        if ((prop & SigProp.Stop) != 0) return SigDisposition.Stop;
        if ((prop & SigProp.Core) != 0) return SigDisposition.Core;
        if ((prop & SigProp.Kill) != 0) return SigDisposition.Terminate;
        return SigDisposition.Ignore;
    }
}
