using MiniBSD.Hal;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Arch.Arm64;
using MiniBSD.Kernel.Kern;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Tests.Kernel;

/// <summary>A booted kernel with uvm, and a way to make user accesses that go through the trap path as a process's would.</summary>
internal sealed class UvmFixture
{
    public UvmFixture(int cpus = 2, int? asidLimit = null, ulong memory = 64 * MachineConfig.MiB)
    {
        K = new KernelFixture(cpus, asidLimit: asidLimit, memory: memory);
        Uvm = new Uvm(K.Machine, K.Pages, K.Pmaps, UserAccess.Access);
    }

    public KernelFixture K { get; }
    public Uvm Uvm { get; }
    public Cpu Cpu(int i = 0) => K.Cpu(i);

    /// <summary>A new address space with one thread (pm_active 1), not yet running anywhere.</summary>
    public Vmspace NewSpace() => Started(Uvm.UvmspaceAlloc(Cpu())!);

    /// <summary>A forked child with its one thread.</summary>
    public Vmspace Fork(Cpu cpu, Vmspace parent) => Started(Uvm.UvmspaceFork(cpu, parent)!);

    private Vmspace Started(Vmspace vm)
    {
        K.Pmaps.PmapActivate(Cpu(), vm.Pmap, curproc: false); // cpu_fork: the new thread's pmap_activate
        return vm;
    }

    public ulong Mmap(Vmspace vm, ulong length, VmProt prot = VmProt.ReadWrite, MapFlags flags = MapFlags.Private | MapFlags.Anon, ulong addr = 0)
    {
        Assert.Equal(Errno.None, Uvm.SysMmap(Cpu(), vm, addr, length, prot, flags, out ulong va));
        return va;
    }

    /// <summary>
    /// cpu_switchto: the space's one thread now runs on <paramref name="cpu"/>; a CPU that ran it last switches to a
    /// kernel thread (the empty table), since one thread runs on one CPU at a time.
    /// </summary>
    public void Switch(Cpu cpu, Vmspace vm)
    {
        foreach (var other in K.Machine.Cpus)
            if (other != cpu && K.Pmaps.CurrentPmap(other) == vm.Pmap) K.Pmaps.PmapSetTtb(other, K.Pmaps.Kernel);
        if (K.Pmaps.CurrentPmap(cpu) != vm.Pmap) K.Pmaps.PmapSetTtb(cpu, vm.Pmap);
    }

    /// <summary>The space's thread exits on <paramref name="cpu"/>: pmap_deactivate there, then uvmspace_free.</summary>
    public void Exit(Cpu cpu, Vmspace vm)
    {
        Switch(cpu, vm);
        K.Pmaps.PmapDeactivate(cpu, vm.Pmap);
        Uvm.UvmspaceFree(cpu, vm);
    }

    /// <summary>
    /// One 8-byte user access: EL0, the access, and on an abort the trap handler (uvm_fault) then a retry, until it
    /// succeeds or ends in a signal. Returns the signal outcome, or Resume with the value read.
    /// </summary>
    public TrapOutcome User(Cpu cpu, Vmspace vm, ulong va, bool write, ref ulong value)
    {
        Switch(cpu, vm);
        for (int attempt = 0; attempt < 4; attempt++)
        {
            cpu.EnterUser(0x1000);
            bool ok = write ? cpu.TryWrite64(va, value) : cpu.TryRead64(va, out value);
            if (ok)
            {
                cpu.Svc(0);
                return TrapOutcome.Resume;
            }
            var outcome = Trap.DataAbort(cpu, Uvm, vm.Map);
            if (!outcome.Resolved) return outcome;
        }
        throw new InvalidOperationException($"user access to 0x{va:X} kept faulting");
    }

    public ulong Read(Cpu cpu, Vmspace vm, ulong va)
    {
        ulong v = 0;
        Assert.True(User(cpu, vm, va, false, ref v).Resolved, $"read of 0x{va:X} failed");
        return v;
    }

    public void Write(Cpu cpu, Vmspace vm, ulong va, ulong value) =>
        Assert.True(User(cpu, vm, va, true, ref value).Resolved, $"write of 0x{va:X} failed");

    /// <summary>Every space's thread exits, and nothing may have leaked.</summary>
    public void FreeAll(params Vmspace[] spaces)
    {
        foreach (var vm in spaces) Exit(Cpu(), vm);
        K.AssertCleanAndNoLeaks();
        Assert.Equal(0, K.Pmaps.Asids.InUse);
    }
}
