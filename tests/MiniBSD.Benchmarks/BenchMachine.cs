using MiniBSD.Hal;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Registers;

namespace MiniBSD.Benchmarks;

/// <summary>A machine with 4-level TTBR0 tables mapping <see cref="Pages"/> user pages from <see cref="Va"/>, MMU on.</summary>
internal sealed class BenchMachine
{
    public const ulong Va = 0x0000_0000_0040_0000;
    private ulong _next = 0x4010_0000;

    public BenchMachine(int cpus, int pages)
    {
        Machine = new Machine(new MachineConfig { Cpus = cpus });
        ulong root = Table();
        for (int i = 0; i < pages; i++)
            Map(root, Va + (ulong)i * 0x1000, Descriptor.Page(0x4800_0000 + (ulong)i * 0x1000, 0b00, ng: true));
        foreach (var cpu in Machine.Cpus)
        {
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

    private void Map(ulong root, ulong va, Descriptor leaf)
    {
        ulong table = root;
        for (int level = 0; level < 3; level++)
        {
            ulong slot = table + ((va >> (39 - 9 * level)) & 511) * 8;
            var d = new Descriptor(Machine.Memory.Read64(slot));
            if (!d.IsValid) { d = Descriptor.Table(Table()); Machine.Memory.Write64(slot, d.Value); }
            table = d.Address;
        }
        Machine.Memory.Write64(table + ((va >> 12) & 511) * 8, leaf.Value);
    }
}
