using MiniBSD.Hal;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Registers;
using MiniBSD.Hal.Tlb;

namespace MiniBSD.Tests.Hal;

/// <summary>
/// A machine with the coherence checker on and a bump allocator of table frames, for building translation
/// tables by hand. Tables start at RAM base + 1 MiB; data frames are whatever PA a test names.
/// </summary>
internal sealed class MmuFixture
{
    public const ulong RamBase = 0x4000_0000;
    private ulong _next = RamBase + 0x10_0000;

    public MmuFixture(int cpus = 1, int paBits = 48, int asidBits = 16, ulong memory = 64 * MachineConfig.MiB, TlbGeometry? tlb = null)
    {
        Machine = new Machine(new MachineConfig
        {
            Cpus = cpus,
            PaBits = paBits,
            AsidBits = asidBits,
            MemoryBytes = memory,
            CheckCoherence = true,
            Tlb = tlb ?? TlbGeometry.Default,
        });
        Root0 = NewTable();
        Root1 = NewTable();
    }

    public Machine Machine { get; }
    public Cpu Cpu => Machine.Cpus[0];
    public ulong Root0 { get; }
    public ulong Root1 { get; }

    public ulong NewTable()
    {
        ulong t = _next;
        _next += 0x1000;
        Machine.Memory.ZeroFrame(t);
        return t;
    }

    /// <summary>Writes a descriptor for <paramref name="va"/> at <paramref name="level"/>, creating tables above it (4-level, start L0).</summary>
    public ulong Map(ulong root, ulong va, int level, Descriptor leaf, int startLevel = 0)
    {
        ulong table = root;
        for (int l = startLevel; l < level; l++)
        {
            ulong slot = table + Index(va, l) * 8;
            var d = new Descriptor(Machine.Memory.Read64(slot));
            if (!d.IsTableOrPage)
            {
                d = Descriptor.Table(NewTable());
                Machine.Memory.Write64(slot, d.Value);
            }
            table = d.Address;
        }
        ulong at = table + Index(va, level) * 8;
        Machine.Memory.Write64(at, leaf.Value);
        return at;
    }

    /// <summary>The address of the descriptor slot for <paramref name="va"/> at <paramref name="level"/> (tables must exist above).</summary>
    public ulong Slot(ulong root, ulong va, int level)
    {
        ulong table = root;
        for (int l = 0; l < level; l++) table = new Descriptor(Machine.Memory.Read64(table + Index(va, l) * 8)).Address;
        return table + Index(va, level) * 8;
    }

    public static ulong Index(ulong va, int level) => (va >> (12 + 9 * (3 - level))) & 511;

    /// <summary>Programs MAIR, TCR, TTBR0/1 and SCTLR on a CPU with MSR, as a kernel's start-up code does.</summary>
    public void Enable(Cpu? cpu = null, Tcr? tcr = null, ushort asid = 1, ulong sctlr = Sctlr.MBit | Sctlr.CBit | Sctlr.IBit, ulong? mair = null)
    {
        cpu ??= Cpu;
        cpu.Msr(SysReg.MairEl1, mair ?? Mair.KernelDefault.Value);
        cpu.Msr(SysReg.TcrEl1, (tcr ?? Tcr.Create()).Value);
        cpu.Msr(SysReg.Ttbr0El1, Ttbr.Create(Root0, asid).Value);
        cpu.Msr(SysReg.Ttbr1El1, Ttbr.Create(Root1).Value);
        cpu.Msr(SysReg.SctlrEl1, sctlr);
        cpu.Isb();
    }

    /// <summary>Every kernel test ends here: no coherence violation was recorded.</summary>
    public void AssertCoherent() => Assert.Empty(Machine.Checker.Violations);
}
