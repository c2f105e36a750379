using MiniBSD.Hal;
using MiniBSD.Kernel.Arch.Arm64;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Tests.Kernel;

/// <summary>A booted machine (locore done, checker on) with the page allocator and the pmap layer.</summary>
internal sealed class KernelFixture
{
    public KernelFixture(int cpus = 2, int asidBits = 16, int? asidLimit = null, ulong memory = 64 * MachineConfig.MiB)
    {
        Machine = new Machine(new MachineConfig { Cpus = cpus, AsidBits = asidBits, MemoryBytes = memory, CheckCoherence = true });
        Boot = Locore.Start(Machine);
        Pages = new UvmPage(Machine, Boot.FirstFree);
        Pmaps = new PmapSystem(Machine, Boot, Pages, asidLimit);
    }

    public Machine Machine { get; }
    public BootInfo Boot { get; }
    public UvmPage Pages { get; }
    public PmapSystem Pmaps { get; }
    public Cpu Cpu(int i = 0) => Machine.Cpus[i];

    /// <summary>A zeroed anonymous page.</summary>
    public ulong Anon(int cpu = 0)
    {
        Assert.True(Pages.TryAlloc(Cpu(cpu), PageUse.Anon, zero: true, out ulong pa));
        return pa;
    }

    /// <summary>Every kernel test ends here: no coherence violation, and every page back on the free list.</summary>
    public void AssertCleanAndNoLeaks()
    {
        Assert.Empty(Machine.Checker.Violations);
        Assert.Equal(Pages.TotalPages, Pages.Count(PageUse.Free));
    }

    /// <summary>Runs <paramref name="cpu"/> at EL0 for one user access and brings it back with an SVC.</summary>
    public static bool UserRead(Cpu cpu, ulong va, out ulong value)
    {
        cpu.EnterUser(0x1000);
        bool ok = cpu.TryRead64(va, out value);
        if (ok) cpu.Svc(0);
        return ok;
    }

    public static bool UserWrite(Cpu cpu, ulong va, ulong value)
    {
        cpu.EnterUser(0x1000);
        bool ok = cpu.TryWrite64(va, value);
        if (ok) cpu.Svc(0);
        return ok;
    }
}
