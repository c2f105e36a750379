using MiniBSD.Hal;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Tests.Os;

/// <summary>
/// KERNEL_LOCK around the system calls syscalls.master does not mark NOLOCK (mi_syscall), released across a sleep
/// and taken back (mi_switch), taken by a fork child before it returns (proc_trampoline_mi), released by exit1.
/// </summary>
public abstract class KernelLockTests(Arch arch)
{
    [Theory]
    [InlineData(SysCall.Exit, true)]
    [InlineData(SysCall.Fork, true)]
    [InlineData(SysCall.Wait4, true)]
    [InlineData(SysCall.Execve, true)]
    [InlineData(SysCall.Kill, true)]
    [InlineData(SysCall.Sigaction, true)]
    [InlineData(SysCall.Obreak, true)]
    [InlineData(SysCall.Read, false)]
    [InlineData(SysCall.Write, false)]
    [InlineData(SysCall.Getpid, false)]
    [InlineData(SysCall.Mmap, false)]
    [InlineData(SysCall.Nanosleep, false)]
    [InlineData(SysCall.Sysctl, false)]
    public void The_table_locks_what_syscalls_master_does_not_mark_NOLOCK(SysCall call, bool locked)
    {
        var s = new MiniSystem("true\n", cpus: 1, arch: arch);
        Assert.Equal(locked, s.Kernel.Sysent.Locked((long)call));
        s.Run();
        s.AssertCleanHalt();
    }

    [Fact]
    public void Two_cpus_forking_at_once_contend_for_it_and_every_hold_is_given_back()
    {
        var s = new MiniSystem("exitstorm 24 2 & exitstorm 24 2 & wait\n", cpus: 2, arch: arch);
        s.Run();
        s.AssertCleanHalt();
        var big = s.Kernel.Exit.KernelLock;
        Assert.True(big.Contended > 0 && big.WaitCycles > 0 && big.HoldCycles > 0, big.ToString());
        Assert.Null(big.Owner);   // init halted asleep in reboot(2): its hold went with the sleep
        Assert.Equal(0, big.Depth);
    }
}

public sealed class KernelLockTestsArm64() : KernelLockTests(Arch.Arm64);

public sealed class KernelLockTestsAmd64() : KernelLockTests(Arch.Amd64);
