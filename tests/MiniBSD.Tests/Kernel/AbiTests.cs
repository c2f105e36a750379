using MiniBSD.Kernel.Abi;

namespace MiniBSD.Tests.Kernel;

/// <summary>The ABI values a user program or its parent sees: wait statuses, signal defaults, system call numbers.</summary>
public sealed class AbiTests
{
    [Theory]
    [InlineData(0, 0, 0x0000)]
    [InlineData(3, 0, 0x0300)]
    [InlineData(255, 0, 0xff00)]
    [InlineData(0, 9, 0x0009)]             // killed by SIGKILL
    [InlineData(0, 11 | 0x80, 0x008b)]     // killed by SIGSEGV, core flag set
    public void W_EXITCODE_packs_code_and_signal(int ret, int sig, int status) =>
        Assert.Equal(status, Wait.ExitCode(ret, sig));

    [Fact]
    public void Exited_status_reads_back_its_code()
    {
        int status = Wait.ExitCode(42, 0);
        Assert.True(Wait.IfExited(status));
        Assert.False(Wait.IfSignaled(status));
        Assert.False(Wait.IfStopped(status));
        Assert.Equal(42, Wait.ExitStatus(status));
        Assert.Equal("exited 42", Wait.Describe(status));
    }

    [Fact]
    public void Exit_code_keeps_only_its_low_eight_bits() // exit(256) reads as 0, as on OpenBSD
    {
        Assert.Equal(0, Wait.ExitStatus(Wait.ExitCode(256, 0)));
        Assert.Equal(1, Wait.ExitStatus(Wait.ExitCode(257, 0)));
        Assert.True(Wait.IfExited(Wait.ExitCode(256, 0)));
    }

    [Fact]
    public void Signaled_status_names_the_signal_and_core_flag()
    {
        int status = Wait.ExitCode(0, (int)Signal.SIGSEGV | Wait.WCOREFLAG);
        Assert.True(Wait.IfSignaled(status));
        Assert.False(Wait.IfExited(status));
        Assert.Equal(Signal.SIGSEGV, Wait.TermSig(status));
        Assert.True(Wait.CoreDump(status));
        Assert.Equal("killed by SIGSEGV (core dumped)", Wait.Describe(status));
        Assert.Equal("killed by SIGTERM", Wait.Describe(Wait.ExitCode(0, (int)Signal.SIGTERM)));
    }

    [Fact]
    public void Stopped_and_continued_statuses_follow_sys_wait_h()
    {
        int stopped = Wait.StopCode((int)Signal.SIGSTOP);
        Assert.Equal(0x117f, stopped);
        Assert.True(Wait.IfStopped(stopped));
        Assert.False(Wait.IfSignaled(stopped));
        Assert.False(Wait.IfExited(stopped));
        Assert.Equal(Signal.SIGSTOP, Wait.StopSig(stopped));
        Assert.False(Wait.IfContinued(stopped));
        Assert.True(Wait.IfContinued(Wait.Continued));
        Assert.False(Wait.IfStopped(Wait.Continued));   // low byte 0xff, not _WSTOPPED
        Assert.False(Wait.IfSignaled(Wait.Continued));  // low 7 bits are _WSTOPPED
        Assert.Equal("continued", Wait.Describe(Wait.Continued));
    }

    [Theory]
    [InlineData(Signal.SIGKILL, SigProp.Kill)]
    [InlineData(Signal.SIGTERM, SigProp.Kill)]
    [InlineData(Signal.SIGPIPE, SigProp.Kill)]
    [InlineData(Signal.SIGSEGV, SigProp.Kill | SigProp.Core)]
    [InlineData(Signal.SIGBUS, SigProp.Kill | SigProp.Core)]
    [InlineData(Signal.SIGCHLD, SigProp.Ignore)]
    [InlineData(Signal.SIGCONT, SigProp.Ignore | SigProp.Cont)]
    [InlineData(Signal.SIGSTOP, SigProp.Stop)]
    [InlineData(Signal.SIGTSTP, SigProp.Stop | SigProp.TtyStop)]
    [InlineData(Signal.SIGTHR, SigProp.Ignore)]
    public void Default_actions_follow_sigprop(Signal signal, SigProp expected) =>
        Assert.Equal(expected, SigProps.Of(signal));

    [Fact]
    public void Every_signal_number_has_a_name_and_a_default()
    {
        for (int n = 1; n < SigProps.NSIG; n++)
        {
            Assert.True(SigProps.IsValid(n));
            Assert.True(Enum.IsDefined((Signal)n), $"signal {n} has no name");
            Assert.NotEqual(SigProp.None, SigProps.Of((Signal)n));
        }
        Assert.False(SigProps.IsValid(0));
        Assert.False(SigProps.IsValid(SigProps.NSIG));
        Assert.True(SigProps.CantMask(Signal.SIGKILL) && SigProps.CantMask(Signal.SIGSTOP));
        Assert.False(SigProps.CantMask(Signal.SIGTERM));
    }

    [Theory]
    [InlineData(SysCall.Exit, 1)]
    [InlineData(SysCall.Fork, 2)]
    [InlineData(SysCall.Wait4, 11)]
    [InlineData(SysCall.Obreak, 17)]
    [InlineData(SysCall.Execve, 59)]
    [InlineData(SysCall.Nanosleep, 91)]
    [InlineData(SysCall.Kill, 122)]
    [InlineData(SysCall.Mmap, 49)]
    [InlineData(SysCall.SchedYield, 298)]
    public void System_call_numbers_are_OpenBSDs(SysCall call, int number) => Assert.Equal(number, (int)call);
}
