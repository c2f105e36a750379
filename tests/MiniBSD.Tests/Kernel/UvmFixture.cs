using MiniBSD.Hal;
using MiniBSD.Hal.X86;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Tests.Kernel;

/// <summary>
/// A booted kernel with uvm on either architecture, and a way to make user accesses that go through the trap path as
/// a process's would. The pmap is reached through the pmap interface; <see cref="K"/> is the arm64 pmap's fixture,
/// for the tests of arm64 itself.
/// </summary>
internal sealed class UvmFixture
{
    private readonly KernelFixture? _k;

    public UvmFixture(int cpus = 2, int? asidLimit = null, ulong memory = 64 * MachineConfig.MiB, Arch arch = Arch.Arm64)
    {
        IUserAccess access;
        if (arch == Arch.Arm64)
        {
            _k = new KernelFixture(cpus, asidLimit: asidLimit, memory: memory);
            (Machine, Pages, Pmaps, access) = (_k.Machine, _k.Pages, _k.Pmaps, MiniBSD.Kernel.Arch.Arm64.UserAccess.Access);
        }
        else
        {
            Machine = new Machine(new MachineConfig { Arch = arch, Cpus = cpus, MemoryBytes = memory, CheckCoherence = true });
            var boot = MiniBSD.Kernel.Arch.Amd64.Locore.Start(Machine);
            Pages = new UvmPage(Machine, boot.FirstFree);
            Pmaps = new MiniBSD.Kernel.Arch.Amd64.PmapSystem(Machine, boot, Pages);
            access = MiniBSD.Kernel.Arch.Amd64.UserAccess.Access;
        }
        Uvm = new Uvm(Machine, Pages, Pmaps, access);
    }

    public Arch Arch => Machine.Config.Arch;
    public Machine Machine { get; }
    public UvmPage Pages { get; }
    public IPmap Pmaps { get; }

    /// <summary>The arm64 kernel fixture (its PmapSystem, BootInfo); arm64 machines only.</summary>
    public KernelFixture K => _k ?? throw new InvalidOperationException("UvmFixture.K: an arm64 fixture");

    public Uvm Uvm { get; }
    public Cpu Cpu(int i = 0) => Machine.Cpus[i];

    /// <summary>A new address space with one thread (pm_active 1), not yet running anywhere.</summary>
    public Vmspace NewSpace() => Started(Uvm.UvmspaceAlloc(Cpu())!);

    /// <summary>A forked child with its one thread.</summary>
    public Vmspace Fork(Cpu cpu, Vmspace parent) => Started(Uvm.UvmspaceFork(cpu, parent)!);

    private Vmspace Started(Vmspace vm)
    {
        Pmaps.PmapActivate(Cpu(), vm.Pmap, curproc: false); // cpu_fork: the new thread's pmap_activate
        return vm;
    }

    public ulong Mmap(Vmspace vm, ulong length, VmProt prot = VmProt.ReadWrite, MapFlags flags = MapFlags.Private | MapFlags.Anon, ulong addr = 0)
    {
        Assert.Equal(Errno.None, Uvm.SysMmap(Cpu(), vm, addr, length, prot, flags, out ulong va));
        return va;
    }

    /// <summary>
    /// cpu_switchto: the space's one thread now runs on <paramref name="cpu"/>; a CPU that ran it last switches to a
    /// kernel thread, since one thread runs on one CPU at a time.
    /// </summary>
    public void Switch(Cpu cpu, Vmspace vm)
    {
        foreach (var other in Machine.Cpus)
            if (other != cpu && Pmaps.CurrentPmap(other) == vm.Pmap) Pmaps.PmapSwitch(other, Pmaps.Kernel);
        if (Pmaps.CurrentPmap(cpu) != vm.Pmap) Pmaps.PmapSwitch(cpu, vm.Pmap);
    }

    /// <summary>The space's thread exits on <paramref name="cpu"/>: pmap_deactivate there, the switch to idle, then uvmspace_free.</summary>
    public void Exit(Cpu cpu, Vmspace vm)
    {
        Switch(cpu, vm);
        Pmaps.PmapDeactivate(cpu, vm.Pmap);
        Pmaps.PmapSwitchIdle(cpu);
        Uvm.UvmspaceFree(cpu, vm);
    }

    /// <summary>
    /// One 8-byte user access: user mode, the access, and on a fault the trap handler (uvm_fault) then a retry, until
    /// it succeeds or ends in a signal. Returns the signal outcome, or Resume with the value read.
    /// </summary>
    public TrapOutcome User(Cpu cpu, Vmspace vm, ulong va, bool write, ref ulong value)
    {
        Switch(cpu, vm);
        for (int attempt = 0; attempt < 4; attempt++)
        {
            EnterUser(cpu);
            bool ok = write ? cpu.TryWrite64(va, value) : cpu.TryRead64(va, out value);
            if (ok)
            {
                SystemCall(cpu);
                return TrapOutcome.Resume;
            }
            var outcome = Arch == Arch.Arm64
                ? MiniBSD.Kernel.Arch.Arm64.Trap.DataAbort(cpu, Uvm, vm.Map)
                : MiniBSD.Kernel.Arch.Amd64.Trap.PageFault(cpu, Uvm, vm.Map);
            if (!outcome.Resolved) return outcome;
        }
        throw new InvalidOperationException($"user access to 0x{va:X} kept faulting");
    }

    /// <summary>To user mode: ERET to EL0, or SYSRETQ to CPL 3.</summary>
    public void EnterUser(Cpu cpu)
    {
        if (Arch == Arch.Arm64) cpu.EnterUser(0x1000);
        else cpu.Execute(X86Code.Sysretq, new(Rcx: 0x1000, R11: RflagsBits.IF));
    }

    /// <summary>Back to the kernel: SVC #0, or SYSCALL.</summary>
    public void SystemCall(Cpu cpu)
    {
        if (Arch == Arch.Arm64) cpu.Svc(0);
        else cpu.Execute(X86Code.Syscall);
    }

    public ulong Read(Cpu cpu, Vmspace vm, ulong va)
    {
        ulong v = 0;
        Assert.True(User(cpu, vm, va, false, ref v).Resolved, $"read of 0x{va:X} failed");
        return v;
    }

    public void Write(Cpu cpu, Vmspace vm, ulong va, ulong value) =>
        Assert.True(User(cpu, vm, va, true, ref value).Resolved, $"write of 0x{va:X} failed");

    /// <summary>Every space's thread exits, and nothing may have leaked: no violation, every page free, no ASID held.</summary>
    public void FreeAll(params Vmspace[] spaces)
    {
        foreach (var vm in spaces) Exit(Cpu(), vm);
        AssertClean();
        Assert.Equal(0, Pmaps.TagsInUse);
    }

    /// <summary>Every kernel test ends here: no coherence violation, and every page back on the free list.</summary>
    public void AssertClean()
    {
        Assert.Empty(Machine.Checker.Violations);
        Assert.Equal(Pages.TotalPages, Pages.Count(PageUse.Free));
    }
}
