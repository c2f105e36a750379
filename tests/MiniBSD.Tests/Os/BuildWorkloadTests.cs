using MiniBSD.Cli.Bench;
using MiniBSD.Hal;
using MiniBSD.Kernel.Kern;
using MiniBSD.Userland;

namespace MiniBSD.Tests.Os;

/// <summary>
/// The build workload at the scale tests and `minibsd run` use (48 objects): OpenBSD's process tree per object (make
/// forks ksh -ec, which forks cc: two forks, two execs), the serial steps, and the calibrated shape of the seed's build
/// on the kernel before the diff: user : sys between 1.5 and 3 as time(1) counts it (the seed's is 1.94), with CPUs
/// idle in the serial steps. docs/build-workload.md has the calibration.
/// </summary>
public abstract class BuildWorkloadTests(Arch arch)
{
    private MiniSystem Build(int cpus, ExitPath path, int objects = KernelMakefile.DefaultObjects)
    {
        string script = $"OBJECTS={objects}\n" + (Workloads.Load("build", out _, out string? error) ?? throw new InvalidOperationException(error));
        var s = new MiniSystem(script, cpus: cpus, maxProcesses: 1000, memory: 256 * MachineConfig.MiB, exitPath: path, arch: arch);
        s.Kernel.Exit.Stats.Record = true;
        Assert.Equal($"build: make -j {cpus} of {objects} objects exited 0\n", s.Run());
        s.AssertCleanHalt();
        return s;
    }

    [Fact]
    public void Each_object_is_make_then_ksh_then_cc_and_the_serial_steps_run_once()
    {
        const int objects = 12;
        var s = Build(cpus: 4, ExitPath.Purge, objects);
        var exits = s.Kernel.Exit.Stats.Processes.GroupBy(e => e.Command).ToDictionary(g => g.Key, g => g.Count());
        // A compile per object, genassym's and vers.o's: each through ksh -ec, which forks the compiler.
        Assert.Equal(objects + 2, exits["cc"]);
        Assert.Equal(objects + 2, exits["ksh"]);
        Assert.Equal((1, 1, 1), (exits["ld"], exits["config"], exits["make"]));
        Assert.True(exits["sh"] >= 3, $"{exits["sh"]} sh");   // rc, genassym.sh's sh -ec, newvers.sh (and their subshells)
    }

    [Fact]
    public void On_the_reaper_path_user_to_sys_is_the_seeds_shape()
    {
        var s = Build(cpus: 8, ExitPath.Reaper);
        var k = s.Kernel;
        foreach (var cpu in s.Machine.Cpus) k.Sched.StatClock.Flush(cpu);
        var seen = k.Init!.ChildUsage;   // what wait4 gave init: rc, make and everything below them
        double ratio = (double)seen.UserCycles / seen.SysCycles;
        Assert.InRange(ratio, 1.5, 3.0);
        double busy = (double)(seen.UserCycles + seen.SysCycles) / s.Machine.Cpus.Max(c => c.Clock);
        Assert.InRange(busy, 4.0, 7.0);   // the seed's 6.0 of 8: the serial steps leave CPUs idle
        Assert.True(seen.SpinCycles > 0, "the lock spins are the spinners' system time");
    }
}

public sealed class BuildWorkloadTestsArm64() : BuildWorkloadTests(Arch.Arm64);

public sealed class BuildWorkloadTestsAmd64() : BuildWorkloadTests(Arch.Amd64);
