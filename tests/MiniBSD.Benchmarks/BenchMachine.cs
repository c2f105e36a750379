using MiniBSD.Hal;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Registers;
using MiniBSD.Hal.X86;

namespace MiniBSD.Benchmarks;

/// <summary>
/// A machine with 4-level tables mapping <see cref="Pages"/> pages from <see cref="Va"/>, translation on: VMSAv8-64
/// TTBR0 tables with the MMU on, or on amd64 x86-64 paging in long mode (CR3, PCID 1), the kernel reading them.
/// </summary>
internal sealed class BenchMachine
{
    public const ulong Va = 0x0000_0000_0040_0000;
    private ulong _next = 0x4010_0000;

    public BenchMachine(int cpus, int pages, Arch arch = Arch.Arm64)
    {
        Machine = new Machine(new MachineConfig { Arch = arch, Cpus = cpus });
        ulong root = Table();
        for (int i = 0; i < pages; i++)
        {
            ulong pa = 0x4800_0000 + (ulong)i * 0x1000;
            Map(root, Va + (ulong)i * 0x1000, arch == Arch.Arm64 ? Descriptor.Page(pa, 0b00, ng: true).Value : PageEntry.Create(pa, writable: true, user: false).Value);
        }
        foreach (var cpu in Machine.Cpus)
        {
            if (arch == Arch.Amd64)
            {
                cpu.Wrmsr(Msr.Efer, Efer.LmeBit | Efer.NxeBit);
                cpu.Execute(X86Code.MovCr4Rax, new(Rax: Cr4.PaeBit));
                cpu.WriteCr3(root);
                cpu.Execute(X86Code.MovCr0Rax, new(Rax: Cr0.PeBit | Cr0.PgBit | Cr0.WpBit));
                cpu.Execute(X86Code.MovCr4Rax, new(Rax: Cr4.PaeBit | Cr4.PcideBit));
                cpu.WriteCr3(Cr3.Create(root, 1).Value);
                continue;
            }
            cpu.Msr(SysReg.MairEl1, Mair.KernelDefault.Value);
            cpu.Msr(SysReg.TcrEl1, Tcr.Create().Value);
            cpu.Msr(SysReg.Ttbr0El1, Ttbr.Create(root, 1).Value);
            cpu.Msr(SysReg.SctlrEl1, Sctlr.MBit);
            cpu.Isb();
        }
        Pages = pages;
    }

    public Machine Machine { get; }
    public Cpu Cpu => Machine.Cpus[0];
    public int Pages { get; }

    private ulong Table()
    {
        ulong t = _next;
        _next += 0x1000;
        return t;
    }

    private void Map(ulong root, ulong va, ulong leaf)
    {
        bool x86 = Machine.Config.Arch == Arch.Amd64;
        ulong table = root;
        for (int level = 0; level < 3; level++)
        {
            ulong slot = table + ((va >> (39 - 9 * level)) & 511) * 8;
            ulong e = Machine.Memory.Read64(slot);
            if ((e & 1) == 0)
            {
                e = x86 ? PageEntry.Create(Table(), writable: true, user: true).Value : Descriptor.Table(Table()).Value;
                Machine.Memory.Write64(slot, e);
            }
            table = x86 ? new PageEntry(e).Frame : new Descriptor(e).Address;
        }
        Machine.Memory.Write64(table + ((va >> 12) & 511) * 8, leaf);
    }
}
