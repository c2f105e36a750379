using MiniBSD.Hal;

namespace MiniBSD.Tests.Os;

/// <summary>
/// POSIX process semantics seen from a user program (/bin/probe) on a booted MiniBSD: fork, copy-on-write, wait
/// statuses, orphans, SA_NOCLDWAIT, WNOHANG, ECHILD, maxproc, EFAULT, exec errors and arguments, SIGSEGV, SIGPIPE,
/// kill. Each ends with init halted, no frame or ASID leaked and the TLB coherence checker silent.
/// </summary>
public abstract class PosixTests(Arch arch)
{
    private string Probe(string args, int cpus = 2, int maxProcesses = 200) =>
        MiniSystem.RunScript($"/bin/probe {args}\n", cpus, maxProcesses: maxProcesses, arch: arch).Console;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Fork_returns_twice_and_the_child_has_its_own_registers(int cpus) => Assert.Equal(
        "child: fork returned 0, getppid is the parent: True, local 42\n" +
        "parent: fork returned the child's pid: True, status 0x700, local 41\n", Probe("fork", cpus));

    [Fact]
    public void A_write_to_initialised_data_is_copied_for_the_writer_only() => Assert.Equal(
        "child sees CHILD!!!\nparent still sees ORIGINAL\n", Probe("data-cow"));

    [Fact]
    public void Wait_statuses_encode_exit_codes_and_signals_as_OpenBSD_does() => Assert.Equal(
        "exit3: status 0x300 exited True code 3 signaled False sig 0\n" +
        "segv: status 0xb exited False code 0 signaled True sig 11\n" +
        "kill9: status 0x9 exited False code 0 signaled True sig 9\n" +
        "term: status 0xf exited False code 0 signaled True sig 15\n" +
        "exit0: status 0x0 exited True code 0 signaled False sig 0\n", Probe("statuses"));

    [Fact]
    public void An_orphan_is_adopted_by_init() => Assert.Equal(
        "the orphan is no longer my child: wait4 gives -1 errno ECHILD\n" +
        "grandchild: my parent is now pid 1\n", Probe("orphan"));

    [Theory]
    [InlineData("flag")]
    [InlineData("ign")]
    public void SA_NOCLDWAIT_and_SIG_IGN_leave_no_zombies_and_wait_ends_in_ECHILD(string how) => Assert.Equal(
        "wait4 after SA_NOCLDWAIT: -1 errno ECHILD\n", Probe($"nocldwait {how}"));

    [Fact]
    public void Sysctl_answers_sizes_refuses_writes_and_names_what_it_does_not_know() => Assert.Equal(
        "size only: 0, length 4\n" +
        "2-byte buffer: -1 errno ENOMEM\n" +
        "set hw.ncpu: -1 errno EPERM\n" +
        "hw.99: -1 errno EOPNOTSUPP\n" +
        "one level: -1 errno EINVAL\n" +
        "bad name pointer: -1 errno EFAULT\n" +
        "bad old pointer: -1 errno EFAULT\n" +
        "kern.ostype: 0, \"MiniBSD\", length 8\n", Probe("sysctl"));

    [Fact]
    public void Sysctl_8_prints_the_machine_as_the_kernel_sees_it() => Assert.Equal(
        "3\n4096\nhw.physmem=67108864\nkern.ostype=MiniBSD\nkern.osrelease=7.8\nsysctl: hw.disknames: unknown name\nstatus 1\n",
        MiniSystem.RunScript("sysctl -n hw.ncpu hw.pagesize; sysctl hw.physmem kern.ostype kern.osrelease hw.disknames; echo status $?\n", cpus: 3, arch: arch).Console);

    [Fact]
    public void WNOHANG_returns_0_while_the_child_runs() => Assert.Equal(
        "WNOHANG while it runs: 0\nthen wait4: the pid True, status 0x500\nWNOHANG with no child left: -1 errno ECHILD\n", Probe("wnohang"));

    [Fact]
    public void Wait_without_children_is_ECHILD_and_a_bad_option_EINVAL() => Assert.Equal(
        "wait4(-1) without children: -1 errno ECHILD\nwait4(1), not my child: -1 errno ECHILD\nwait4 with a bad option: -1 errno EINVAL\n", Probe("echild"));

    [Fact]
    public void Fork_fails_with_EAGAIN_at_maxproc_and_zombies_count() => Assert.Equal(
        "fork failed with EAGAIN after 7 forks\nafter reaping them, fork works again: True\n", Probe("maxproc", maxProcesses: 10));

    [Fact]
    public void Bad_pointers_passed_to_system_calls_give_EFAULT() => Assert.Equal(
        "write from an unmapped buffer: -1 EFAULT\n" +
        "write from a kernel address: -1 EFAULT\n" +
        "open of an unmapped path: -1 EFAULT\n" +
        "pipe into read-only text: -1 EFAULT\n" +
        "wait4 with a bad status pointer: -1 EFAULT\n" +
        "nanosleep of a bad timespec: -1 EFAULT\n", Probe("efault"));

    [Fact]
    public void Exec_fails_with_POSIX_errors_and_passes_argv_and_envp_on_the_new_stack() => Assert.Equal(
        "exec of a missing program: -1 ENOENT\n" +
        "exec of a plain file: -1 EACCES\n" +
        "exec with 600 KiB of arguments: -1 E2BIG\n" +
        "exec with a bad argv: -1 EFAULT\n" +
        "argc 4: [probe] [args] [two words] []; envp: [A=1] [B=x y]; sp 16-aligned True, argv at sp+8 True\n", Probe("exec-errors"));

    [Theory]
    [InlineData("unmapped")]
    [InlineData("text")]
    [InlineData("kernel")]
    [InlineData("guard")]
    public void A_bad_access_kills_with_SIGSEGV(string how) =>
        Assert.Equal($"{how}: killed by SIGSEGV\n", Probe($"segv {how}"));

    [Fact]
    public void A_write_to_a_pipe_without_reader_raises_SIGPIPE() =>
        Assert.Equal("writer: killed by SIGPIPE\n", Probe("sigpipe dfl"));

    [Fact]
    public void With_SIGPIPE_ignored_the_write_fails_with_EPIPE() =>
        Assert.Equal("write to a pipe without reader: -1 EPIPE\nwriter: exited 0\n", Probe("sigpipe ign"));

    [Fact]
    public void Kill_interrupts_a_sleep_and_the_parent_sees_the_signal() => Assert.Equal(
        "kill 0 (exists?): 0\nsleeper: killed by SIGTERM\nkill of a reaped pid: -1 ESRCH\nkill of init: 0\n", Probe("kill"));

    [Fact]
    public void The_timer_preempts_a_computing_process_at_the_end_of_its_slice()
    {
        var s = new MiniSystem("/bin/probe spin A & /bin/probe spin B & wait\n", cpus: 1, arch: arch);
        Assert.Equal("A half\nB half\nA done\nB done\n", s.Run());
        s.AssertCleanHalt();
        Assert.True(s.Machine.Cpus[0].Counters.InterruptsTaken >= 6, $"{s.Machine.Cpus[0].Counters.InterruptsTaken} timer interrupts");
    }

    [Fact]
    public void A_kernel_request_from_user_code_is_an_illegal_instruction_not_a_panic() =>
        Assert.Equal("illegal: killed by SIGILL\n", Probe("illegal"));

    [Fact]
    public void A_program_that_throws_is_killed_with_SIGABRT_and_the_kernel_carries_on()
    {
        var s = new MiniSystem("/bin/probe throw\n", arch: arch);
        Assert.Equal("throwing child: killed by SIGABRT\n", s.Run());
        s.AssertCleanHalt();
        Assert.Contains(s.Kernel.Dmesg.Messages, m => m.EndsWith("(probe): the program threw InvalidOperationException: a bug in the program", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_system_call_raises_SIGSYS_or_fails_with_ENOSYS() => Assert.Equal(
        "syscall 311: killed by SIGSYS\nwith SIGSYS ignored: -1 ENOSYS\n", Probe("nosys"));

    [Fact]
    public void A_frame_made_before_fork_and_run_by_the_child_is_a_SIGSEGV_not_a_panic() =>
        Assert.Equal("stale frame in the child: killed by SIGSEGV\n", Probe("stale"));

    [Fact]
    public void Mmap_mprotect_munmap_and_obreak_work_through_the_system_calls() => Assert.Equal(
        "mmap at the mmap base: True, store: True, load: 5\n" +
        "mprotect PROT_READ: 0, load: 5\n" +
        "mprotect of an unaligned address: -1 EINVAL\n" +
        "munmap of the second page: 0\n" +
        "obreak below the data segment: -1 ENOMEM\n" +
        "store to the read-only page: killed by SIGSEGV\n" +
        "load from the unmapped page: killed by SIGSEGV\n", Probe("mprotect"));

    [Fact]
    public void Processes_running_one_program_share_its_text_read_only_and_executable()
    {
        var s = new MiniSystem("/bin/probe sleep & /bin/probe sleep & wait\n", arch: arch);
        s.Kernel.Run(until: s.Machine.Costs.FrequencyHz / 1000);   // 1 ms: both probes sleep in nanosleep
        var probes = s.Kernel.Procs.All.Where(p => p.Command == "probe").ToList();
        Assert.Equal(2, probes.Count);
        var cpu = s.Machine.Cpus[0];
        var text = probes.Select(p =>
        {
            Assert.True(s.Kernel.Pmaps.PmapExtract(cpu, p.Vmspace!.Pmap, MiniBSD.Kernel.Uvm.VmLayout.UserMin, out ulong pa));
            return pa;
        }).ToList();
        Assert.Equal(text[0], text[1]);
        Assert.Equal(2, s.Kernel.Pages.MappingCount(text[0]));
        Assert.Equal(MiniBSD.Kernel.Uvm.PageUse.Text, s.Kernel.Pages.UseOf(text[0]));
        s.Run();
        s.AssertCleanHalt();
    }

    [Theory]
    [InlineData("exit", "exited 7")]
    [InlineData("exec", "exited 0")]
    public void Vfork_puts_the_parent_to_sleep_until_the_child_exits_or_execs_and_copies_the_memory(string how, string status)
    {
        var s = new MiniSystem($"/bin/probe vfork {how}\n", cpus: 4, arch: arch);
        Assert.Equal($"child wrote CHILD!!!\nparent resumes after 2 ms and sees ORIGINAL\nchild {status}\n", s.Run());
        s.AssertCleanHalt();
        Assert.Equal(1, s.Kernel.Fork.Vforks);
    }

    [Fact]
    public void Nanosleep_clock_gettime_times_and_getrusage_keep_simulated_time()
    {
        var s = new MiniSystem("/bin/probe sleep\n", arch: arch);
        Assert.Equal(
            "clock_gettime saw 2 ms go by: True\n" +
            "times: 2 ticks of user time, uptime 2 ticks\n" +
            "an unknown clock: -1 EINVAL\n" +
            "getrusage: 20 ms user, system under 1 ms: True\n", s.Run());
        s.AssertCleanHalt();
        Assert.True(s.Machine.Cpus.Max(c => c.Clock) > 2 * s.Machine.Costs.FrequencyHz / 1000);
    }
}

public sealed class PosixTestsArm64() : PosixTests(Arch.Arm64);

public sealed class PosixTestsAmd64() : PosixTests(Arch.Amd64);
