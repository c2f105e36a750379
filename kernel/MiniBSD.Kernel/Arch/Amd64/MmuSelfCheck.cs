using MiniBSD.Hal;
using MiniBSD.Hal.Check;
using MiniBSD.Hal.Tlb;
using MiniBSD.Hal.X86;
using MiniBSD.Kernel.Kern;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Kernel.Arch.Amd64;

/// <summary>
/// The amd64 boot-time check that paging and TLB maintenance behave as the SDM says: loads and stores through the
/// direct map on every CPU, CR0.WP keeping kernel text read-only, a user store and a SYSCALL through a real pmap,
/// SMAP refusing a supervisor load of a user page until STAC, pmap_enter over a live page shooting it, a shootdown
/// reaching another CPU by IPI, and the coherence checker catching a missing INVLPG. Every page goes back.
/// </summary>
internal sealed class MmuSelfCheck(Machine machine, BootInfo boot, UvmPage pages, PmapSystem pmaps)
{
    private const ulong UserVa = 0x0000_0000_0040_0000;
    private const ulong Pattern = 0x4D69_6E69_4253_4421;
    private readonly List<SelfCheckStep> _steps = [];

    public IReadOnlyList<SelfCheckStep> Run()
    {
        bool wasChecking = machine.Checker.Enabled;
        machine.Checker.Enabled = true;
        machine.Checker.Context = "boot self-check";
        DirectMapOnEveryCpu();
        KernelTextReadOnly();
        var (pm, frame) = UserStoreAndSyscall();
        SmapAndStac();
        frame = EnterOverALivePage(pm, frame);
        ShootdownReachesAnotherCpu(pm);
        Teardown(pm, frame);
        CheckerCatchesMissingInvlpg();
        machine.Checker.Context = null;
        machine.Checker.Enabled = wasChecking;
        return _steps;
    }

    private void Step(string name, bool passed, string detail) => _steps.Add(new SelfCheckStep(name, passed, detail));

    private Cpu Cpu(int i) => machine.Cpu(i % machine.Cpus.Count);

    private ulong Page(Cpu cpu) =>
        pages.TryAlloc(cpu, PageUse.Anon, zero: true, out ulong pa) ? pa : throw Systm.Panic("MmuSelfCheck: no free page");

    private void DirectMapOnEveryCpu()
    {
        ulong va = Locore.DirectMap(machine, machine.Memory.Base + 0x60_0000);
        long before = machine.TotalCounters().WalksWithReads(3);
        bool ok = Cpu(0).TryWrite64(va, Pattern);                       // PML4E, PDPTE, PDE (a 2 MiB page): 3 reads
        foreach (var cpu in machine.Cpus) ok &= cpu.TryRead64(va, out ulong v) && v == Pattern;
        long walks = machine.TotalCounters().WalksWithReads(3) - before;
        Step($"store on cpu0, loads on all {machine.Cpus.Count} CPUs (direct map, 2 MiB pages)", ok && walks == machine.Cpus.Count,
            $"VA 0x{va:X}: one 3-level walk per CPU ({walks}), then TLB hits");
    }

    private void KernelTextReadOnly()
    {
        var cpu = Cpu(0);
        ulong text = Locore.DirectMap(machine, machine.Memory.Base);
        bool refused = !cpu.TryWrite64(text, 0);
        var f = cpu.Frame;
        Step("kernel text is read-only (CR0.WP=1)", refused && f.Vector == Vector.PF && f.ErrorCode == 0x3 && cpu.ReadCr2() == text,
            $"store to 0x{text:X}: #PF error code 0x{f.ErrorCode:x}, CR2 0x{cpu.Cr2:X}");
    }

    private (Amd64Pmap Pm, ulong Frame) UserStoreAndSyscall()
    {
        var cpu = Cpu(1);
        var pm = pmaps.PmapCreate(cpu) ?? throw Systm.Panic("MmuSelfCheck: no page for a pmap");
        ulong frame = Page(cpu);
        pmaps.PmapEnter(cpu, pm, UserVa, frame, VmProt.ReadWrite);
        pmaps.PmapActivate(cpu, pm);                                        // CR3 = PML4 | PCID_PROC
        cpu.Execute(X86Code.Sysretq, new(Rcx: 0x1000, R11: RflagsBits.IF));
        bool stored = cpu.TryWrite64(UserVa, Pattern);
        cpu.Pc = 0x1004;
        cpu.Execute(X86Code.Syscall);
        bool ok = stored && cpu.Cpl == 0 && cpu.SyscallSaved.Rcx == 0x1006 && cpu.Pc == Locore.XsyscallVa && (cpu.Rflags & RflagsBits.IF) == 0;
        Step("CPL 3 store to a user page, then SYSCALL", ok, $"CR3 0x{cpu.Cr3.Value:X} (PCID {cpu.CurrentAsid}), RCX 0x{cpu.SyscallSaved.Rcx:X}, RIP 0x{cpu.Pc:X}");
        return (pm, frame);
    }

    private void SmapAndStac()
    {
        var cpu = Cpu(1);
        bool refused = !cpu.TryRead64(UserVa, out _);
        uint error = cpu.Frame.ErrorCode;
        cpu.Execute(X86Code.Stac);
        bool read = cpu.TryRead64(UserVa, out ulong v);
        cpu.Execute(X86Code.Clac);
        Step("SMAP refuses a supervisor load of a user page; STAC opens it", refused && error == 0x1 && read && v == Pattern,
            $"#PF error code 0x{error:x}; with RFLAGS.AC=1 -> 0x{v:X}");
    }

    private ulong EnterOverALivePage(Amd64Pmap pm, ulong frame)
    {
        var cpu = Cpu(1);
        ulong fresh = Page(cpu);
        machine.Memory.Write64(fresh, ~Pattern);
        long invpcid = machine.TotalCounters().X86Invalidations(X86Flush.InvpcidAddress);
        pmaps.PmapEnter(cpu, pm, UserVa, fresh, VmProt.ReadWrite);         // store, then pmap_tlb_shootpage (local INVPCID)
        pages.Free(cpu, frame);                                                  // rule 2: no usable entry maps it now
        cpu.Execute(X86Code.Stac);
        bool ok = cpu.TryRead64(UserVa, out ulong v) && v == ~Pattern && machine.Checker.Violations.Count == 0;
        cpu.Execute(X86Code.Clac);
        long n = machine.TotalCounters().X86Invalidations(X86Flush.InvpcidAddress) - invpcid;
        Step("pmap_enter over a live page", ok && n == 1, $"{n} INVPCID type 0, new frame read back 0x{v:X}, old frame freed, checker silent");
        return fresh;
    }

    private void ShootdownReachesAnotherCpu(Amd64Pmap pm)
    {
        if (machine.Cpus.Count < 2) return;
        var (cpu, other) = (Cpu(1), Cpu(0));
        pmaps.PmapActivate(other, pm);                                      // a second thread of the space on cpu0
        other.Execute(X86Code.Stac);
        other.TryRead64(UserVa, out _);
        other.Execute(X86Code.Clac);
        long ipis = machine.TotalCounters().IpisSent, removed = other.Counters.TlbEntriesInvalidated;
        pmaps.PmapProtect(cpu, pm, UserVa, UserVa + 0x1000, VmProt.Read);   // shootrange to cpu0, local INVPCID here
        long sent = machine.TotalCounters().IpisSent - ipis, gone = other.Counters.TlbEntriesInvalidated - removed;
        pmaps.PmapDeactivate(other, pm);                                    // that thread exits: off cpu0
        pmaps.PmapSwitch(other, pmaps.Kernel);
        Step("a shootdown reaches the other CPU running the pmap", sent == 1 && gone >= 1 && machine.Checker.Violations.Count == 0,
            $"{sent} IPI (vector 0x{Vector.IpiInvlrange:x}), {gone} entr{(gone == 1 ? "y" : "ies")} removed on cpu0, checker silent");
    }

    private void Teardown(Amd64Pmap pm, ulong frame)
    {
        var cpu = Cpu(1);
        pmaps.PmapRemove(cpu, pm, UserVa, UserVa + 0x1000);
        pages.Free(cpu, frame);
        pmaps.PmapDeactivate(cpu, pm);
        pmaps.PmapSwitch(cpu, pmaps.Kernel);
        pmaps.PmapDestroy(cpu, pm);
        Step("teardown: pmap_remove, pmap_deactivate, pmap_destroy", pages.Count(PageUse.Free) == pages.TotalPages && machine.Checker.Violations.Count == 0,
            "every page free again, checker silent");
    }

    private void CheckerCatchesMissingInvlpg()
    {
        var cpu = Cpu(0);
        ulong pa = machine.Memory.Base + VmParam.KernelImageSize - 0x1000;   // a kernel data page (a 4 KiB PTE)
        ulong va = Locore.DirectMap(machine, pa);
        ulong slot = SlotOf(boot.KernelPml4, va);
        ulong old = machine.Memory.Read64(slot);
        cpu.TryRead64(va, out _);
        machine.Memory.Write64(slot, old & ~PageEntry.RW);                  // read-only, "forgetting" INVLPG
        cpu.TryRead(va, 4, out _);                                          // a load the TLB (not the fast path) serves
        var v = machine.Checker.Violations.Count > 0 ? machine.Checker.Violations[0] : null;
        machine.Checker.Clear();
        machine.Memory.Write64(slot, old);
        cpu.Invlpg(va);
        Step("the coherence checker catches a missing INVLPG", v is { Rule: CoherenceRule.StaleHit }, v?.ToString() ?? "no report");
    }

    private ulong SlotOf(ulong root, ulong va)
    {
        ulong table = root;
        for (int l = 0; l < 3; l++) table = new PageEntry(machine.Memory.Read64(table + PmapBootstrap.Index(va, l) * 8)).Frame;
        return table + PmapBootstrap.Index(va, 3) * 8;
    }
}
