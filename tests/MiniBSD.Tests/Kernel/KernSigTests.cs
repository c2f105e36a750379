using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Tests.Kernel;

/// <summary>sigaction, sigprocmask, execsigs and signal dispositions, as kern_sig.c decides them.</summary>
public sealed class KernSigTests
{
    private const ulong Handler = 0x40_1000;

    [Fact]
    public void Defaults_follow_sigprop()
    {
        var ps = new SigActs();
        Assert.Equal(SigDisposition.Terminate, ps.Disposition(Signal.SIGTERM));
        Assert.Equal(SigDisposition.Terminate, ps.Disposition(Signal.SIGKILL));
        Assert.Equal(SigDisposition.Core, ps.Disposition(Signal.SIGSEGV));
        Assert.Equal(SigDisposition.Core, ps.Disposition(Signal.SIGBUS));
        Assert.Equal(SigDisposition.Ignore, ps.Disposition(Signal.SIGCHLD));
        Assert.Equal(SigDisposition.Stop, ps.Disposition(Signal.SIGSTOP));
        Assert.Equal(SigDisposition.Continue, ps.Disposition(Signal.SIGCONT));
        Assert.True(ps.DiscardsOnPost(Signal.SIGCHLD));          // default-ignored signals are dropped when posted
        Assert.False(ps.DiscardsOnPost(Signal.SIGCONT));         // but SIGCONT must still continue a stopped process
        Assert.False(ps.NoCldWait);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(SigProps.NSIG)]
    public void Sigaction_on_a_bad_number_is_EINVAL(int signum) =>
        Assert.Equal(Errno.EINVAL, new SigActs().Sigaction(signum, SigAction.Ignore, out _));

    [Fact]
    public void SIGKILL_and_SIGSTOP_cannot_be_changed_but_can_be_queried()
    {
        var ps = new SigActs();
        Assert.Equal(Errno.EINVAL, ps.Sigaction((int)Signal.SIGKILL, SigAction.Ignore, out _));
        Assert.Equal(Errno.EINVAL, ps.Sigaction((int)Signal.SIGSTOP, new SigAction(Handler), out _));
        Assert.Equal(Errno.None, ps.Sigaction((int)Signal.SIGKILL, null, out var old));
        Assert.Equal(SigAction.Default, old);
        Assert.Equal(SigDisposition.Terminate, ps.Disposition(Signal.SIGKILL));
    }

    [Fact]
    public void Sigaction_returns_the_old_action_and_catching_or_ignoring_takes_effect()
    {
        var ps = new SigActs();
        var catchTerm = new SigAction(Handler, SigSet.Mask(Signal.SIGINT) | SigSet.CantMask, SaFlags.Restart);
        Assert.Equal(Errno.None, ps.Sigaction((int)Signal.SIGTERM, catchTerm, out var old));
        Assert.Equal(SigAction.Default, old);
        Assert.Equal(SigDisposition.Catch, ps.Disposition(Signal.SIGTERM));
        Assert.Equal(SigSet.Mask(Signal.SIGINT), ps.Action(Signal.SIGTERM).Mask);   // sa_mask never holds SIGKILL/SIGSTOP
        Assert.Equal(Errno.None, ps.Sigaction((int)Signal.SIGTERM, SigAction.Ignore, out old));
        Assert.Equal(Handler, old.Handler);
        Assert.Equal(SigDisposition.Ignore, ps.Disposition(Signal.SIGTERM));
        Assert.True(ps.DiscardsOnPost(Signal.SIGTERM));
        ps.Sigaction((int)Signal.SIGCHLD, new SigAction(Handler), out _);            // catching a default-ignored signal
        Assert.Equal(SigDisposition.Catch, ps.Disposition(Signal.SIGCHLD));
        Assert.False(ps.DiscardsOnPost(Signal.SIGCHLD));
    }

    [Fact]
    public void A_forked_copy_shares_nothing_a_change_on_either_side_can_reach()
    {
        var parent = new SigActs();
        parent.Sigaction((int)Signal.SIGTERM, SigAction.Ignore, out _);
        parent.Sigprocmask(SigSet.SIG_BLOCK, SigSet.Mask(Signal.SIGINT), out _);
        var child = parent.Copy();
        Assert.Equal(SigDisposition.Ignore, child.Disposition(Signal.SIGTERM));     // sigactsinit: the parent's actions
        Assert.Equal(SigSet.Mask(Signal.SIGINT), child.Blocked);

        child.Sigaction((int)Signal.SIGHUP, SigAction.Ignore, out _);
        Assert.Equal(SigDisposition.Terminate, parent.Disposition(Signal.SIGHUP));  // the child's change stays its own
        parent.Sigaction((int)Signal.SIGTERM, SigAction.Default, out _);
        Assert.Equal(SigDisposition.Ignore, child.Disposition(Signal.SIGTERM));     // and the parent's its own
        var grandchild = child.Copy();
        child.Execsigs();
        child.Sigaction((int)Signal.SIGUSR1, SigAction.Ignore, out _);
        Assert.Equal(SigDisposition.Ignore, grandchild.Disposition(Signal.SIGHUP));
        Assert.Equal(SigDisposition.Terminate, grandchild.Disposition(Signal.SIGUSR1));
    }

    [Theory]
    [InlineData(SigAction.SIG_IGN, SaFlags.None, false, true)]       // SIGCHLD ignored: no zombies (POSIX XSI)
    [InlineData(Handler, SaFlags.NoCldWait, false, true)]            // SA_NOCLDWAIT with a handler
    [InlineData(SigAction.SIG_DFL, SaFlags.NoCldWait, false, true)]
    [InlineData(SigAction.SIG_DFL, SaFlags.None, false, false)]
    [InlineData(Handler, SaFlags.None, false, false)]
    [InlineData(SigAction.SIG_IGN, SaFlags.NoCldWait, true, false)]  // never for init: its orphans must be reaped
    public void SIGCHLD_sets_no_zombies_as_setsigvec_does(ulong handler, SaFlags flags, bool isInit, bool noCldWait)
    {
        var ps = new SigActs();
        Assert.Equal(Errno.None, ps.Sigaction((int)Signal.SIGCHLD, new SigAction(handler, 0, flags), out _, isInit));
        Assert.Equal(noCldWait, ps.NoCldWait);
        ps.Sigaction((int)Signal.SIGCHLD, SigAction.Default, out _, isInit);
        Assert.False(ps.NoCldWait);
    }

    [Fact]
    public void Sigprocmask_blocks_unblocks_and_sets_but_never_SIGKILL_or_SIGSTOP()
    {
        var ps = new SigActs();
        uint term = SigSet.Mask(Signal.SIGTERM), chld = SigSet.Mask(Signal.SIGCHLD);
        Assert.Equal(Errno.None, ps.Sigprocmask(SigSet.SIG_BLOCK, term | SigSet.CantMask, out uint old));
        Assert.Equal(0u, old);
        Assert.Equal(term, ps.Blocked);
        ps.Sigprocmask(SigSet.SIG_BLOCK, chld, out old);
        Assert.Equal(term, old);
        Assert.Equal(term | chld, ps.Blocked);
        ps.Sigprocmask(SigSet.SIG_UNBLOCK, term, out _);
        Assert.Equal(chld, ps.Blocked);
        ps.Sigprocmask(SigSet.SIG_SETMASK, term, out _);
        Assert.Equal(term, ps.Blocked);
        Assert.Equal(Errno.EINVAL, ps.Sigprocmask(0, term, out _));
        Assert.Equal(Errno.EINVAL, ps.Sigprocmask(4, term, out _));
        Assert.Equal(term, ps.Blocked);
    }

    [Fact]
    public void Cursig_picks_the_lowest_unblocked_pending_signal()
    {
        var ps = new SigActs();
        uint pending = SigSet.Mask(Signal.SIGTERM) | SigSet.Mask(Signal.SIGINT) | SigSet.Mask(Signal.SIGKILL);
        Assert.Equal(Signal.SIGINT, ps.Cursig(pending));
        ps.Sigprocmask(SigSet.SIG_BLOCK, SigSet.Mask(Signal.SIGINT), out _);
        Assert.Equal(Signal.SIGKILL, ps.Cursig(pending));
        Assert.Equal(Signal.None, ps.Cursig(SigSet.Mask(Signal.SIGINT)));
        Assert.Equal(Signal.SIGTHR, SigSet.Lowest(SigSet.Mask(Signal.SIGTHR)));
    }

    [Fact]
    public void Exec_resets_handlers_keeps_ignores_and_clears_the_SIGCHLD_flags()
    {
        var ps = new SigActs();
        ps.Sigaction((int)Signal.SIGTERM, new SigAction(Handler), out _);
        ps.Sigaction((int)Signal.SIGHUP, SigAction.Ignore, out _);
        ps.Sigaction((int)Signal.SIGCHLD, new SigAction(SigAction.SIG_IGN, 0, SaFlags.NoCldStop), out _);
        ps.Sigprocmask(SigSet.SIG_BLOCK, SigSet.Mask(Signal.SIGINT), out _);
        var child = ps.Copy();                                  // fork copies all of it
        Assert.Equal(SigDisposition.Catch, child.Disposition(Signal.SIGTERM));
        Assert.True(child.NoCldWait);
        Assert.Equal(SigSet.Mask(Signal.SIGINT), child.Blocked);

        child.Execsigs();
        Assert.Equal(SigDisposition.Terminate, child.Disposition(Signal.SIGTERM));
        Assert.Equal(SigAction.Default, child.Action(Signal.SIGTERM));
        Assert.Equal(SigDisposition.Ignore, child.Disposition(Signal.SIGHUP));
        Assert.Equal(SigAction.Default, child.Action(Signal.SIGCHLD));
        Assert.False(child.NoCldWait);
        Assert.True(child.NoCldStop);                                 // execsigs leaves SAS_NOCLDSTOP alone
        Assert.True(child.DiscardsOnPost(Signal.SIGCHLD));
        Assert.Equal(SigSet.Mask(Signal.SIGINT), child.Blocked);      // the mask survives exec (POSIX)
        Assert.Equal(SigDisposition.Catch, ps.Disposition(Signal.SIGTERM));   // the parent is untouched
    }
}
