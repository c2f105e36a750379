using MiniBSD.Hal;
using MiniBSD.Hal.X86;

namespace MiniBSD.Kernel.Arch.Amd64;

/// <summary>What locore leaves for the rest of the amd64 kernel.</summary>
public sealed record BootInfo(ulong KernelPml4, ulong FirstFree, ulong ShootPage, ulong PerCpuPages, int DirectMapLarge, int DirectMapPages);

/// <summary>
/// The bring-up of OpenBSD's locore0.S, locore.S and pmap_bootstrap on amd64: build the kernel's PML4 (the direct map
/// with 2 MiB pages, kernel text read-only and executable, the console's registers uncached), then on every CPU enter
/// long mode with paging (EFER.LME and NXE, CR4.PAE, CR3, CR0.PG and WP), turn on PCIDs (CR4.PCIDE, kernel PCID 0),
/// SMEP and SMAP, and set up SYSCALL (EFER.SCE, LSTAR, SFMASK). Also steals the page of the shootdown words
/// (tlb_shoot_wait and its addresses) and one page per CPU for INVPCID descriptors.
/// </summary>
public static class Locore
{
    public const int KernelTextPages = 16;

    /// <summary>Where SYSCALL enters the kernel (Xsyscall's address in the kernel text).</summary>
    public const ulong XsyscallVa = VmParam.DirectMapBase + 0x1000;

    public static BootInfo Start(Machine machine)
    {
        var boot = machine.Cpu(0);
        var steal = new PmapBootstrap(machine, machine.Memory.Base + VmParam.KernelImageSize);
        ulong pml4 = steal.StealPage(boot);
        var (large, pages) = MapDirect(machine, boot, steal, pml4);
        steal.Enter(boot, pml4, VmParam.UartVa, 3, Pte.Device(machine.Console.Base));
        ulong shoot = steal.StealPage(boot);
        ulong perCpu = steal.StealPage(boot);
        for (int i = 1; i < machine.Cpus.Count; i++) steal.StealPage(boot);
        foreach (var cpu in machine.Cpus) EnterLongMode(cpu, pml4);
        machine.Checker.AddPermanentMapping(DirectMap(machine, machine.Memory.Base), DirectMap(machine, machine.Memory.End - 1) + 1);
        return new BootInfo(pml4, steal.NextFree, shoot, perCpu, large, pages);
    }

    public static ulong DirectMap(Machine machine, ulong pa) => VmParam.DirectMapBase + (pa - machine.Memory.Base);

    /// <summary>The direct map: the kernel image's 2 MiB in 4 KiB pages (text, then data), the rest in 2 MiB pages.</summary>
    private static (int Large, int Pages) MapDirect(Machine machine, Cpu cpu, PmapBootstrap steal, ulong pml4)
    {
        ulong ram = machine.Memory.Base, end = machine.Memory.End;
        int large = 0, pages = 0;
        for (ulong pa = ram; pa < end;)
        {
            bool inImage = pa < ram + VmParam.KernelImageSize;
            if (!inImage && (pa & 0x1F_FFFF) == 0 && end - pa >= 0x20_0000)
            {
                steal.Enter(cpu, pml4, DirectMap(machine, pa), 2, Pte.KernelData(pa, large: true));
                pa += 0x20_0000;
                large++;
                continue;
            }
            bool text = pa < ram + KernelTextPages * 0x1000UL;
            steal.Enter(cpu, pml4, DirectMap(machine, pa), 3, text ? Pte.KernelText(pa) : Pte.KernelData(pa));
            pa += 0x1000;
            pages++;
        }
        return (large, pages);
    }

    /// <summary>
    /// The per-CPU part, in the order the SDM requires: EFER.LME (and NXE, SCE), CR4.PAE, CR3, then CR0.PG (long mode
    /// is active), then CR4.PCIDE (needs CR3[11:0] = 0 and long mode), SMEP and SMAP; the SYSCALL MSRs.
    /// </summary>
    private static void EnterLongMode(Cpu cpu, ulong pml4)
    {
        cpu.Wrmsr(Msr.Efer, Efer.LmeBit | Efer.NxeBit | Efer.SceBit);
        cpu.Execute(X86Code.MovCr4Rax, new(Rax: Cr4.PaeBit | Cr4.PgeBit));
        cpu.WriteCr3(Cr3.Create(pml4, Pcid.Kern).Value);
        cpu.Execute(X86Code.MovCr0Rax, new(Rax: Cr0.PeBit | Cr0.PgBit | Cr0.WpBit));
        cpu.Execute(X86Code.MovCr4Rax, new(Rax: Cr4.PaeBit | Cr4.PgeBit | Cr4.PcideBit | Cr4.SmepBit | Cr4.SmapBit));
        cpu.Wrmsr(Msr.Lstar, XsyscallVa);
        cpu.Wrmsr(Msr.Sfmask, RflagsBits.IF | RflagsBits.AC);   // SYSCALL enters with interrupts off and SMAP closed
    }
}
