using MiniBSD.Hal;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;
using MiniBSD.Kernel.Uvm;
using MiniBSD.Userland;

namespace MiniBSD.Tests.Os;

/// <summary>A whole MiniBSD: machine (coherence checker on), kernel, root file system with <c>rc</c> as /etc/rc, init started.</summary>
internal sealed class MiniSystem
{
    public MiniSystem(string rc, int cpus = 2, int seed = 0, int maxProcesses = 200, ulong memory = 64 * MachineConfig.MiB, SchedParams? sched = null,
        ExitPath exitPath = ExitPath.Purge, IReadOnlyDictionary<string, string>? files = null, int asidBits = 16, Arch arch = Arch.Arm64, PmrCosts? freeCosts = null, bool asidPair = true)
    {
        Machine = new Machine(new MachineConfig { Arch = arch, Cpus = cpus, MemoryBytes = memory, CheckCoherence = true, AsidBits = asidBits });
        var root = Rootfs.Create(rc);
        root.Add(Rootfs.Checked(new ProgramImage("/bin/probe", () => new Probe(), Data: Probe.Data)));
        foreach (var (path, text) in files ?? new Dictionary<string, string>()) root.AddFile(path, System.Text.Encoding.UTF8.GetBytes(text));
        Kernel = new InitMain(Machine, root, new KernelOptions(seed, maxProcesses, sched, ExitPath: exitPath, FreeCosts: freeCosts, AsidPair: asidPair));
        Machine.Console.Sink = Console;
        Kernel.Start();
    }

    public Machine Machine { get; }
    public InitMain Kernel { get; }
    public Captured Console { get; } = new();

    /// <summary>Runs to the halt and returns what the console printed.</summary>
    public string Run()
    {
        Kernel.Run();
        return Console.ToString();
    }

    /// <summary>Every system test ends here: init halted, no frame or ASID leaked, no coherence violation.</summary>
    public void AssertCleanHalt()
    {
        Assert.True(Kernel.Halted, "init did not halt (something still runs or sleeps)");
        Assert.Empty(Machine.Checker.Violations);
        Assert.All(Kernel.LeakedFrames(), kv => Assert.True(kv.Value == 0, $"{kv.Value} {kv.Key} frames leaked"));
        Assert.Equal(0, Kernel.LeakedAsids);
        Assert.Single(Kernel.Procs.All);   // init alone
        Assert.Empty(Kernel.Procs.Zombies);
    }

    /// <summary>Boots with <paramref name="rc"/>, runs it, checks the halt; returns (console, rc's exit status).</summary>
    public static (string Console, int Status) RunScript(string rc, int cpus = 2, int seed = 0, int maxProcesses = 200, Arch arch = Arch.Arm64)
    {
        var s = new MiniSystem(rc, cpus, seed, maxProcesses, arch: arch);
        string output = s.Run();
        s.AssertCleanHalt();
        return (output, s.Kernel.HaltStatus);
    }
}
