using MiniBSD.Cli.Bench;
using MiniBSD.Hal;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Tests.Os;

/// <summary>
/// Fault injection: every allocation site failed once during the default rc and the build workload, and each
/// page-allocation point of a fork and an exec; the kernel answers with an errno or kills the process, never panics
/// or leaks, and the checker stays silent.
/// </summary>
public abstract class FaultInjectionTests(Arch arch)
{
    /// <summary>The build workload with 12 objects: every kind of process and step of it, a quarter of the default.</summary>
    private static string Build => "OBJECTS=12\n" + (Workloads.Load("build", out _, out string? error) ?? throw new InvalidOperationException(error));

    public static TheoryData<string, string> SitesAndCalls()
    {
        var data = new TheoryData<string, string>();
        foreach (var site in FailSiteNames.All)
            foreach (string which in (string[])["first", "middle", "last"])
                data.Add(site.Name(), which);
        return data;
    }

    private static MiniSystem Failing(Arch arch, string rc, FailSite site, long n, int cpus = 2)
    {
        var s = new MiniSystem(rc, cpus: cpus, memory: 128 * MiniBSD.Hal.MachineConfig.MiB, arch: arch);
        s.Kernel.FailPoints.FailAt(site, n);
        return s;
    }

    /// <summary>How many times <paramref name="rc"/> asks each site (all armed to fail no call: one run counts them all).</summary>
    private static Dictionary<FailSite, long> Calls(Arch arch, string rc, int cpus = 2)
    {
        var s = new MiniSystem(rc, cpus: cpus, memory: 128 * MiniBSD.Hal.MachineConfig.MiB, arch: arch);
        foreach (var site in FailSiteNames.All) s.Kernel.FailPoints.FailAt(site, long.MaxValue);
        s.Run();
        s.AssertCleanHalt();
        return FailSiteNames.All.ToDictionary(site => site, site => s.Kernel.FailPoints.Of(site).Calls);
    }

    private static readonly Dictionary<Arch, Lazy<Dictionary<FailSite, long>>> RcCalls =
        Enum.GetValues<Arch>().ToDictionary(a => a, a => new Lazy<Dictionary<FailSite, long>>(() => Calls(a, MiniBSD.Userland.Rootfs.DefaultRc)));
    private static readonly Dictionary<Arch, Lazy<Dictionary<FailSite, long>>> BuildCalls =
        Enum.GetValues<Arch>().ToDictionary(a => a, a => new Lazy<Dictionary<FailSite, long>>(() => Calls(a, Build, cpus: 4)));

    /// <summary>The ASID allocator's site exists on arm64 only: amd64's PCIDs are per role, handed out by no allocator.</summary>
    private bool NeverAsked(FailSite site, long calls)
    {
        if (arch != Arch.Amd64 || site != FailSite.Asid) return false;
        Assert.Equal(0, calls);
        return true;
    }

    /// <summary>Fails the <paramref name="n"/>-th call of <paramref name="site"/>: answered, and the system halts clean.</summary>
    private void FailOnce(string rc, FailSite site, long n, int cpus = 2)
    {
        var s = Failing(arch, rc, site, n, cpus);
        s.Run();
        Assert.Equal(1, s.Kernel.FailPoints.Of(site).Failed);
        s.AssertCleanHalt();
    }

    [Theory]
    [MemberData(nameof(SitesAndCalls))]
    public void A_failure_at_any_site_during_the_default_rc_is_answered_without_a_panic_or_a_leak(string name, string which)
    {
        Assert.True(FailSiteNames.TryParse(name, out var site));
        long calls = RcCalls[arch].Value[site];
        if (NeverAsked(site, calls)) return;
        Assert.True(calls >= 3, $"{name}: reached {calls} times");
        FailOnce(MiniBSD.Userland.Rootfs.DefaultRc, site, which switch { "first" => 1, "middle" => calls / 2, _ => calls });
    }

    [Theory]
    [InlineData("uvm_pagealloc.anon")]
    [InlineData("uvm_pagealloc.pt")]
    [InlineData("uvm_pagealloc.text")]
    [InlineData("process_new")]
    [InlineData("fdalloc")]
    [InlineData("pmap_allocate_asid")]
    public void A_failure_at_any_site_during_the_build_workload_is_answered_without_a_panic_or_a_leak(string name)
    {
        Assert.True(FailSiteNames.TryParse(name, out var site));
        long calls = BuildCalls[arch].Value[site];
        if (NeverAsked(site, calls)) return;
        Assert.True(calls >= 1, $"{name}: reached {calls} times");
        FailOnce(Build, site, (calls + 1) / 2, cpus: 4);
    }

    [Theory]
    [InlineData("uvm_pagealloc.anon")]
    [InlineData("uvm_pagealloc.pt")]
    [InlineData("uvm_pagealloc.text")]
    public void Physical_memory_exhausted_at_every_point_of_a_fork_and_an_exec(string name)
    {
        Assert.True(FailSiteNames.TryParse(name, out var site));
        const string rc = "/bin/true; echo done\n";   // sh forks; the child execs /bin/true; sh waits
        var count = Failing(arch, rc, site, long.MaxValue);
        count.Run();
        long calls = count.Kernel.FailPoints.Of(site).Calls;
        Assert.True(calls >= 3, $"{name}: {calls} calls");
        for (long n = 1; n <= calls; n++)
        {
            var s = Failing(arch, rc, site, n);
            s.Run();
            Assert.Equal(1, s.Kernel.FailPoints.Of(site).Failed);   // the fork or the exec failed, or a process was killed
            s.AssertCleanHalt();
        }
    }

    [Fact]
    public void Failure_rates_are_seeded_so_a_run_repeats_itself()
    {
        string Run(int seed)
        {
            var s = new MiniSystem(MiniBSD.Userland.Rootfs.DefaultRc, seed: seed, arch: arch);
            s.Kernel.FailPoints.FailRate(FailSite.PageAnon, 0.02);
            string console = s.Run();
            s.AssertCleanHalt();
            return $"{console}|{s.Kernel.FailPoints.Injected}|{s.Kernel.Sched.TraceHash}";
        }
        Assert.Equal(Run(3), Run(3));
        Assert.Contains("|", Run(4));
    }

    [Fact]
    public void Asid_exhaustion_with_8_bit_asids_and_300_live_processes_rolls_over_and_stays_coherent()
    {
        var s = new MiniSystem("i=0; while [ $i -lt 300 ]; do sleep 0.01 & i=$((i + 1)); done; wait\n", cpus: 4, maxProcesses: 400, asidBits: 8,
            memory: 256 * MiniBSD.Hal.MachineConfig.MiB, arch: arch);
        s.Run();
        if (s.Kernel.Pmaps is MiniBSD.Kernel.Arch.Arm64.PmapSystem arm64) Assert.True(arm64.Asids.Rollovers >= 1, $"{arm64.Asids.Rollovers} rollovers");
        else Assert.Equal(0, s.Kernel.Pmaps.TagsInUse);   // amd64: 300 processes share PCID_PROC, flushed at every switch
        Assert.Equal(0, s.Kernel.HaltStatus);
        s.AssertCleanHalt();   // rule 3 stayed silent at every hand-out after each rollover
    }

    [Fact]
    public void An_exception_in_kernel_code_under_a_user_store_is_a_panic_not_a_signal()
    {
        var s = new MiniSystem("memtouch 4\n", arch: arch);
        s.Kernel.FailPoints.FailAt(FailSite.PageAnon, long.MaxValue);   // armed, so each allocation asks Exempt
        s.Kernel.FailPoints.Exempt = () => s.Kernel.Sched.Running?.Process?.Command == "memtouch" && s.Kernel.Sched.Running.InUser
            ? throw new InvalidOperationException("a kernel bug")    // thrown inside uvm_fault's page allocation
            : false;
        var panic = Assert.Throws<KernelPanicException>(() => s.Run());
        Assert.Contains("user store: InvalidOperationException in the MMU or the trap path", panic.Message);
        Assert.IsType<InvalidOperationException>(panic.InnerException);
    }
}

public sealed class FaultInjectionTestsArm64() : FaultInjectionTests(Arch.Arm64);

public sealed class FaultInjectionTestsAmd64() : FaultInjectionTests(Arch.Amd64);
