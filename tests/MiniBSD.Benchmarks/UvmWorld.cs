using MiniBSD.Hal;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Arch.Arm64;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Benchmarks;

/// <summary>
/// A booted kernel (checker off) and a process-like address space of 1,000 resident pages laid out as a program's
/// would be: text 16, data 64, heap 400, 8 pages at the top of a 32 MiB stack reservation, and 512 pages of mmap'd
/// memory, each touched once by a write fault.
/// </summary>
internal sealed class UvmWorld
{
    public const int ResidentPages = 16 + 64 + 400 + 8 + 512;
    private const ulong Text = 0x40_0000, Data = 0x100_0000, StackTop = 0x7F_0000_0000, StackSize = 32UL << 20;

    public UvmWorld(int cpus = 2, Arch arch = Arch.Arm64)
    {
        Machine = new Machine(new MachineConfig { Arch = arch, Cpus = cpus, MemoryBytes = 256 * MachineConfig.MiB });
        var md = MiniBSD.Kernel.Conf.Machdep.Attach(Machine);
        Pages = new UvmPage(Machine, md.FirstFree);
        Pmaps = md.PmapInit(Pages);
        Uvm = new Uvm(Machine, Pages, Pmaps, md.UserAccess);
    }

    public Machine Machine { get; }
    public UvmPage Pages { get; }
    public IPmap Pmaps { get; }

    /// <summary>arm64's pmap, for the benchmarks of its remove walks.</summary>
    public PmapSystem Arm64 => (PmapSystem)Pmaps;
    public Uvm Uvm { get; }
    public Cpu Cpu => Machine.Cpus[0];

    /// <summary>A running process's address space (its thread loaded on cpu0) with <see cref="ResidentPages"/> pages touched.</summary>
    public Vmspace Process()
    {
        var vm = Uvm.UvmspaceAlloc(Cpu)!;
        Pmaps.PmapActivate(Cpu, vm.Pmap);
        Touch(vm, Region(vm, Text, 16), 16);
        Touch(vm, Region(vm, Data, 64), 64);
        Check(Uvm.SysObreak(Cpu, vm, vm.DataStart + 400 * 4096));
        Touch(vm, vm.DataStart, 400);
        Uvm.UvmMapAnon(vm.Map, StackTop - StackSize, StackSize, VmProt.ReadWrite, VmProt.All, VmInherit.Copy);
        Touch(vm, StackTop - 8 * 4096, 8);
        Check(Uvm.SysMmap(Cpu, vm, 0, 512 * 4096, VmProt.ReadWrite, MapFlags.Private | MapFlags.Anon, out ulong mm));
        Touch(vm, mm, 512);
        return vm;
    }

    /// <summary>A fresh private anonymous mapping of <paramref name="pages"/> pages.</summary>
    public ulong MapFresh(Vmspace vm, int pages)
    {
        Check(Uvm.SysMmap(Cpu, vm, 0x10_0000_0000, (ulong)pages * 4096, VmProt.ReadWrite, MapFlags.Private | MapFlags.Anon, out ulong va));
        return va;
    }

    /// <summary>Write-faults <paramref name="pages"/> pages from <paramref name="start"/>.</summary>
    public void Touch(Vmspace vm, ulong start, int pages)
    {
        for (int i = 0; i < pages; i++)
            if (Uvm.UvmFault(Cpu, vm.Map, start + (ulong)i * 4096, VmProt.Write) != FaultResult.Resolved)
                throw new InvalidOperationException("benchmark setup: fault failed");
    }

    /// <summary>The process exits the 2025 way: uvm_purge (pmap_purge, uvmspace_purge), pmap_deactivate (a no-op), uvm_exit.</summary>
    public void ExitPurge(Vmspace vm)
    {
        Uvm.UvmPurge(Cpu, vm);
        Pmaps.PmapDeactivate(Cpu, vm.Pmap);
        Pmaps.PmapSwitchIdle(Cpu);
        Uvm.UvmExit(Cpu, vm);
    }

    /// <summary>The teardown while the pmap is still active (the reaper-less order without pmap_purge): per-page TLBIs.</summary>
    public void ExitActive(Vmspace vm)
    {
        Uvm.UvmspacePurge(Cpu, vm);
        Pmaps.PmapDeactivate(Cpu, vm.Pmap);
        Pmaps.PmapSwitchIdle(Cpu);
        Uvm.UvmspaceFree(Cpu, vm);
    }

    /// <summary>Whatever state the space is in, its thread (if any) exits on cpu0 and the space is freed.</summary>
    public void Exit(Vmspace vm)
    {
        if (vm.Pmap.Active > 0)
        {
            Pmaps.PmapSwitch(Cpu, vm.Pmap);
            Pmaps.PmapDeactivate(Cpu, vm.Pmap);
            Pmaps.PmapSwitchIdle(Cpu);
        }
        Uvm.UvmspaceFree(Cpu, vm);
    }

    private ulong Region(Vmspace vm, ulong at, int pages)
    {
        Uvm.UvmMapAnon(vm.Map, at, (ulong)pages * 4096, VmProt.ReadWrite, VmProt.All, VmInherit.Copy);
        return at;
    }

    private static void Check(Errno e)
    {
        if (e != Errno.None) throw new InvalidOperationException($"benchmark setup: {e}");
    }
}
