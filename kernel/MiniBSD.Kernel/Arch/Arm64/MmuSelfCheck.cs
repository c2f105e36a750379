using MiniBSD.Hal;
using MiniBSD.Hal.Check;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Registers;
using MiniBSD.Hal.Tlb;
using MiniBSD.Kernel.Kern;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Kernel.Arch.Arm64;

/// <summary>
/// A short check, run at boot, that translation and TLB maintenance behave as the architecture says: AT on kernel
/// mappings, loads and stores on every CPU, an EL0 access and a system call through a real pmap, PAN and LDTR,
/// break-before-make by pmap_enter, an ASID switch and the TLBI ASIDE1IS of pmap_destroy, and the coherence checker
/// catching a missing TLBI. Every page it takes goes back to the allocator.
/// </summary>
public sealed class MmuSelfCheck(Machine machine, BootInfo boot, UvmPage pages, PmapSystem pmaps)
{
    private const ulong UserVa = 0x0000_0000_0040_0000;
    private const ushort UserAsid = 1;
    private const ulong Pattern = 0x4D69_6E69_4253_4421; // "!DSBiniM" little-endian
    private readonly List<SelfCheckStep> _steps = [];

    public IReadOnlyList<SelfCheckStep> Steps => _steps;
    public bool Passed => _steps.TrueForAll(s => s.Passed);

    public IReadOnlyList<SelfCheckStep> Run()
    {
        bool wasChecking = machine.Checker.Enabled;
        machine.Checker.Enabled = true;
        machine.Checker.Context = "boot self-check";
        AtOnKernelMappings();
        LoadsAndStoresOnEveryCpu();
        var user = UserAccessAndSyscall();
        PanAndUnprivilegedLoad(user);
        user = BreakBeforeMake(user);
        AsidSwitchAndInvalidate(user);
        CheckerCatchesMissingTlbi();
        machine.Checker.Context = null;
        machine.Checker.Enabled = wasChecking;
        return _steps;
    }

    private sealed record UserMapping(Arm64Pmap Pm, ulong Frame);

    private void Step(string name, bool passed, string detail) => _steps.Add(new SelfCheckStep(name, passed, detail));

    private Cpu Cpu(int i) => machine.Cpu(i % machine.Cpus.Count);

    private void AtOnKernelMappings()
    {
        var cpu = Cpu(0);
        ulong pa = machine.Memory.Base + 0x40_0000 + 0x123;
        ulong va = Locore.DirectMap(machine, pa);
        var par = cpu.At(AtOp.S1E1R, va);
        var expect = Par.Success(pa, Mair.NormalWriteBack, 0b11);
        Step("AT S1E1R on the direct map (2 MiB block)", par == expect, $"VA 0x{va:X} -> PAR_EL1 {par}");
        par = cpu.At(AtOp.S1E0R, va);
        Step("AT S1E0R on kernel memory is refused", par == Par.Fault(FaultStatus.PermissionL2), $"PAR_EL1 {par}");
        ulong text = Locore.DirectMap(machine, machine.Memory.Base);
        par = cpu.At(AtOp.S1E1W, text);
        Step("kernel text is read-only (AT S1E1W)", par == Par.Fault(FaultStatus.PermissionL3), $"VA 0x{text:X}: PAR_EL1 {par}");
    }

    private void LoadsAndStoresOnEveryCpu()
    {
        ulong va = Locore.DirectMap(machine, machine.Memory.Base + 0x60_0000);
        long before = machine.TotalCounters().WalksWithReads(3);
        bool ok = Cpu(0).TryWrite64(va, Pattern);                       // cpu0 misses: a 3-read walk (L0, L1, L2 block)
        foreach (var cpu in machine.Cpus)
        {
            ok &= cpu.TryRead64(va, out ulong v) && v == Pattern;     // the others miss once each, then hit
            ok &= cpu.TryRead64(va + 8, out _);
        }
        long walks = machine.TotalCounters().WalksWithReads(3) - before;
        Step($"store on cpu0, loads on all {machine.Cpus.Count} CPUs", ok && walks == machine.Cpus.Count,
            $"VA 0x{va:X}: one 3-level walk per CPU ({walks}), then TLB hits");
    }

    private UserMapping UserAccessAndSyscall()
    {
        var cpu = Cpu(1);
        var pm = pmaps.PmapCreate(cpu) ?? throw Kern.Systm.Panic("MmuSelfCheck: no page for a pmap");
        ulong frame = Page(cpu);
        pmaps.PmapEnter(cpu, pm, UserVa, frame, VmProt.ReadWrite);
        pmaps.PmapActivate(cpu, pm);                                       // TTBR0 = ASID | L0, one MSR, ISB
        cpu.EnterUser(pc: 0x1000);
        bool stored = cpu.TryWrite64(UserVa, Pattern);
        cpu.Pc = 0x1004;
        cpu.Svc(0);
        var esr = new Esr(cpu.Mrs(SysReg.EsrEl1));
        bool ok = stored && esr == Esr.Svc(0) && cpu.El == 1 && cpu.Pan && cpu.Elr == 0x1008;
        Step("EL0 store to a user page, then SVC #0", ok, $"ASID {pm.AsidNumber}: ESR_EL1 {esr}, ELR_EL1 0x{cpu.Elr:X}, PAN={(cpu.Pan ? 1 : 0)} on entry");
        return new UserMapping(pm, frame);
    }

    private void PanAndUnprivilegedLoad(UserMapping user)
    {
        var cpu = Cpu(1);
        bool refused = !cpu.TryRead64(UserVa, out _);
        var esr = new Esr(cpu.Mrs(SysReg.EsrEl1));
        bool ldtr = cpu.TryReadUnprivileged(UserVa, 8, out ulong v);
        bool ok = refused && esr == Esr.DataAbort(false, FaultStatus.PermissionL3, write: false) && cpu.Far == UserVa && ldtr && v == Pattern;
        Step("PAN refuses an EL1 load of user memory; LDTR reads it", ok, $"ESR_EL1 {esr}, FAR_EL1 0x{cpu.Far:X}; LDTR -> 0x{v:X}");
    }

    /// <summary>Invalidations by ASID a page or an address space takes: two with kernel/user ASID pairs.</summary>
    private int Tlbis => pmaps.AsidPair ? 2 : 1;

    private UserMapping BreakBeforeMake(UserMapping user)
    {
        var cpu = Cpu(1);
        ulong fresh = Page(cpu);
        machine.Memory.Write64(fresh, ~Pattern);
        long removedBefore = machine.TotalCounters().TlbEntriesInvalidated;
        long vae = machine.TotalCounters().Tlbi(TlbiOp.Vae1Is);
        pmaps.PmapEnter(cpu, user.Pm, UserVa, fresh, VmProt.ReadWrite); // invalid entry, TLBI VAE1IS, new entry
        long removed = machine.TotalCounters().TlbEntriesInvalidated - removedBefore;
        pages.Free(cpu, user.Frame);                                            // rule 2: no usable entry maps it now
        bool ok = cpu.TryReadUnprivileged(UserVa, 8, out ulong v) && v == ~Pattern && machine.Checker.Violations.Count == 0
            && machine.TotalCounters().Tlbi(TlbiOp.Vae1Is) - vae == Tlbis;
        Step("break-before-make (pmap_enter over a live page)", ok, $"{Tlbis} TLBI VAE1IS, {removed} TLB entr{(removed == 1 ? "y" : "ies")} removed, new frame read back 0x{v:X}, old frame freed, checker silent");
        return user with { Frame = fresh };
    }

    private void AsidSwitchAndInvalidate(UserMapping user)
    {
        var cpu = Cpu(1);
        ushort asid = user.Pm.AsidNumber;
        pmaps.PmapDeactivate(cpu, user.Pm);                                // TTBR0 -> the empty table, ASID 0
        pmaps.PmapRemove(cpu, user.Pm, UserVa, UserVa + 0x1000);          // inactive: no per-page TLBI
        pages.Free(cpu, user.Frame);                                            // harmless: ASID loaded nowhere
        // The entries of the ASID outlive the switch; the counters (a PMU would) show pmap_free_asid removing them.
        long before = machine.TotalCounters().TlbEntriesInvalidated;
        pmaps.PmapDestroy(cpu, user.Pm);                                   // TLBI ASIDE1IS, tables freed
        long removed = machine.TotalCounters().TlbEntriesInvalidated - before;
        machine.Checker.AsidAllocated(asid);                               // rule 3: no TLB may still hold it
        bool ok = removed > 0 && machine.Checker.Violations.Count == 0 && pages.Count(PageUse.Free) == pages.TotalPages;
        Step("TTBR0 switch keeps ASID-tagged entries; TLBI ASIDE1IS removes them", ok,
            $"ASID {asid}: {removed} entr{(removed == 1 ? "y" : "ies")} removed when the pmap was destroyed; the checker finds none left; every page free again");
    }

    private ulong Page(Cpu cpu) =>
        pages.TryAlloc(cpu, PageUse.Anon, zero: true, out ulong pa) ? pa : throw Kern.Systm.Panic("MmuSelfCheck: no free page");

    private void CheckerCatchesMissingTlbi()
    {
        var cpu = Cpu(0);
        ulong pa = machine.Memory.Base + VmParam.KernelImageSize - 0x1000; // a kernel data page (L3)
        ulong va = Locore.DirectMap(machine, pa);
        ulong slot = SlotOf(boot.KernelL0, va);
        ulong old = machine.Memory.Read64(slot);
        cpu.TryRead64(va, out _);                                          // cache the translation
        machine.Memory.Write64(slot, old | Descriptor.Ap2Bit);            // make it read-only, "forgetting" the TLBI
        cpu.TryRead64(va, out _);
        cpu.Isb();                                                         // the checker sees what the micro-TLB served
        var v = machine.Checker.Violations.Count > 0 ? machine.Checker.Violations[0] : null;
        machine.Checker.Clear();
        cpu.Dsb(BarrierOption.Ishst);
        cpu.Tlbi(TlbiOp.Vaale1Is, TlbiOpExtensions.Operand(va));         // the invalidation that was missing
        cpu.Dsb(BarrierOption.Ish);
        machine.Memory.Write64(slot, old);
        cpu.Dsb(BarrierOption.Ishst);
        cpu.Tlbi(TlbiOp.Vaale1Is, TlbiOpExtensions.Operand(va));
        cpu.Dsb(BarrierOption.Ish);
        cpu.Isb();
        Step("the coherence checker catches a missing TLBI", v is { Rule: CoherenceRule.StaleHit }, v?.ToString() ?? "no report");
    }

    private ulong SlotOf(ulong root, ulong va)
    {
        ulong table = root;
        for (int l = 0; l < 3; l++) table = new Descriptor(machine.Memory.Read64(table + PmapBootstrap.Index(va, l) * 8)).Address;
        return table + PmapBootstrap.Index(va, 3) * 8;
    }
}
