using MiniBSD.Hal;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Registers;
using MiniBSD.Hal.Tlb;

namespace MiniBSD.Kernel.Arch.Arm64;

/// <summary>What locore leaves for the rest of the kernel.</summary>
public sealed record BootInfo(ulong KernelL0, ulong EmptyL0, ulong FirstFree, Tcr Tcr, int TextPages, int DirectMapBlocks, int DirectMapPages);

/// <summary>
/// The MMU bring-up that OpenBSD does in sys/arch/arm64/arm64/locore.S and pmap_bootstrap: build the kernel's TTBR1
/// tables (a direct map of RAM, kernel text read-only and executable, the console UART's registers as Device memory),
/// an empty TTBR0 table, then on every CPU
/// program MAIR_EL1, TCR_EL1, TTBR0/1_EL1 and SCTLR_EL1 with MSR, invalidating the local TLB first.
/// </summary>
public static class Locore
{
    /// <summary>Pages of the kernel image mapped as text (read-only, executable at EL1).</summary>
    public const int KernelTextPages = 16;

    public static BootInfo Start(Machine machine)
    {
        var boot = machine.Cpu(0);
        var steal = new PmapBootstrap(machine, machine.Memory.Base + VmParam.KernelImageSize);
        ulong kernelL0 = steal.StealPage(boot);
        ulong emptyL0 = steal.StealPage(boot);
        var (blocks, pages) = MapDirect(machine, boot, steal, kernelL0);
        steal.Enter(boot, kernelL0, VmParam.UartVa, 3, Pte.Device(machine.Console.Base));
        var tcr = MakeTcr(boot);
        foreach (var cpu in machine.Cpus) EnableMmu(cpu, tcr, kernelL0, emptyL0);
        // The direct map covers every frame for good; freeing a frame does not unmap it from there.
        machine.Checker.AddPermanentMapping(DirectMap(machine, machine.Memory.Base), DirectMap(machine, machine.Memory.End - 1) + 1);
        return new BootInfo(kernelL0, emptyL0, steal.NextFree, tcr, KernelTextPages, blocks, pages);
    }

    /// <summary>Converts a physical address to its direct-map VA.</summary>
    public static ulong DirectMap(Machine machine, ulong pa) => VmParam.DirectMapBase + (pa - machine.Memory.Base);

    /// <summary>
    /// Maps all RAM at <see cref="VmParam.DirectMapBase"/>: the kernel image's 2 MiB with 4 KiB pages (text, then
    /// data), the rest with 2 MiB blocks, and a tail that is not 2 MiB aligned with pages.
    /// </summary>
    private static (int Blocks, int Pages) MapDirect(Machine machine, Cpu cpu, PmapBootstrap steal, ulong kernelL0)
    {
        ulong ram = machine.Memory.Base, end = machine.Memory.End;
        int blocks = 0, pages = 0;
        for (ulong pa = ram; pa < end;)
        {
            bool inImage = pa < ram + VmParam.KernelImageSize;
            if (!inImage && (pa & 0x1F_FFFF) == 0 && end - pa >= 0x20_0000)
            {
                steal.Enter(cpu, kernelL0, DirectMap(machine, pa), 2, Pte.KernelData(pa, 2));
                pa += 0x20_0000;
                blocks++;
                continue;
            }
            bool text = pa < ram + KernelTextPages * 0x1000UL;
            steal.Enter(cpu, kernelL0, DirectMap(machine, pa), 3, text ? Pte.KernelText(pa) : Pte.KernelData(pa, 3));
            pa += 0x1000;
            pages++;
        }
        return (blocks, pages);
    }

    /// <summary>
    /// TCR_EL1 as OpenBSD and Linux set it: 48-bit VA in both halves, 4 KiB granules, inner-shareable write-back
    /// walks, IPS from ID_AA64MMFR0_EL1.PARange, 16-bit ASIDs when the CPU has them, TBI0, and A1 = 0 so the ASID
    /// travels in TTBR0 with the table base (reference §4.4, "a simpler option for a small OS").
    /// </summary>
    private static Tcr MakeTcr(Cpu cpu)
    {
        var id = new IdAa64Mmfr0(cpu.Mrs(SysReg.IdAa64Mmfr0El1));
        return Tcr.Create(t0sz: 16, t1sz: 16, ips: id.PaRange, as16: id.AsidBits == 16, a1: false, tbi0: true);
    }

    /// <summary>The per-CPU part of locore: local TLB flush, MMU registers, then SCTLR_EL1.M with ISBs between.</summary>
    private static void EnableMmu(Cpu cpu, Tcr tcr, ulong kernelL0, ulong emptyL0)
    {
        cpu.Tlbi(TlbiOp.Vmalle1);
        cpu.Dsb(BarrierOption.Nsh);
        cpu.Isb();
        cpu.Msr(SysReg.MairEl1, Pte.Mair.Value);
        cpu.Msr(SysReg.TcrEl1, tcr.Value);
        cpu.Msr(SysReg.Ttbr0El1, Ttbr.Create(emptyL0, asid: 0).Value);
        cpu.Msr(SysReg.Ttbr1El1, Ttbr.Create(kernelL0).Value);
        cpu.Isb();
        cpu.Msr(SysReg.SctlrEl1, Sctlr.KernelDefault.Value);
        cpu.Isb();
    }
}
