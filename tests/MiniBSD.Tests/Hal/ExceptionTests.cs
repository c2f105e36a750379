using MiniBSD.Hal;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Registers;

namespace MiniBSD.Tests.Hal;

/// <summary>Exception entry and return: SVC, ERET, PAN on entry, UNDEFINED at EL0.</summary>
public sealed class ExceptionTests
{
    private static Cpu NewCpu(ulong sctlr = 0)
    {
        var cpu = new Machine(new MachineConfig { Cpus = 1 }).Cpus[0];
        if (sctlr != 0) cpu.Msr(SysReg.SctlrEl1, sctlr);
        return cpu;
    }

    [Fact]
    public void Svc_from_el0_saves_state_and_sets_pan_when_span_is_clear()
    {
        var cpu = NewCpu();
        Assert.Equal(1, cpu.El);
        cpu.EnterUser(0x40_1000);
        Assert.Equal(0, cpu.El);
        Assert.Equal(0x40_1000UL, cpu.Pc);
        cpu.Pc = 0x40_1010;
        cpu.Svc(0x12);
        Assert.Equal(1, cpu.El);
        Assert.True(cpu.Pan);
        Assert.Equal(0x5600_0012UL, cpu.Esr.Value);
        Assert.Equal(0x40_1014UL, cpu.Elr);              // the preferred return address is after the SVC
        Assert.Equal(Cpu.SpsrEl0t, cpu.Spsr);            // came from EL0t with PAN clear
        Assert.Equal(4UL, cpu.Mrs(SysReg.CurrentEl));
    }

    [Fact]
    public void Span_set_leaves_pan_alone_on_entry()
    {
        var cpu = NewCpu(Sctlr.SpanBit);
        cpu.EnterUser(0x1000);
        cpu.Svc(0);
        Assert.False(cpu.Pan);
    }

    [Fact]
    public void Eret_restores_el_and_pan_from_spsr()
    {
        var cpu = NewCpu();
        cpu.SetPan(true);
        cpu.Msr(SysReg.SpsrEl1, Cpu.SpsrEl1h);          // back to EL1 with PAN clear
        cpu.Msr(SysReg.ElrEl1, 0xFFFF_0000_0000_1234);
        cpu.Eret();
        Assert.Equal((1, false, 0xFFFF_0000_0000_1234UL), (cpu.El, cpu.Pan, cpu.Pc));
    }

    [Fact]
    public void System_instructions_at_el0_are_undefined()
    {
        var cpu = NewCpu();
        cpu.EnterUser(0x2000);
        cpu.Msr(SysReg.Ttbr0El1, 0x1234);
        Assert.Equal(1, cpu.El);
        Assert.Equal(Esr.Undefined, cpu.Esr);
        Assert.Equal(0x2000UL, cpu.Elr);
        Assert.Equal(0UL, cpu.Ttbr0.Value);
        cpu.EnterUser(0x3000);
        _ = cpu.Mrs(SysReg.CntvctEl0);                    // EL0 may read the virtual counter
        Assert.Equal(0, cpu.El);
        cpu.Execute(A64.At(AtOp.S1E1R), 0);
        Assert.Equal(1, cpu.El);
    }

    [Fact]
    public void Msr_to_an_id_register_is_undefined()
    {
        var cpu = NewCpu();
        ulong id = cpu.Mrs(SysReg.IdAa64Mmfr0El1);
        cpu.Msr(SysReg.IdAa64Mmfr0El1, 0);
        Assert.Equal(Esr.Undefined, cpu.Esr);
        Assert.Equal(id, cpu.Mrs(SysReg.IdAa64Mmfr0El1));
    }

    [Fact]
    public void Id_and_identification_registers_read_back()
    {
        var m = new Machine(new MachineConfig { Cpus = 3, PaBits = 44, AsidBits = 8 });
        Assert.Equal(0x8000_0002UL, m.Cpus[2].Mrs(SysReg.MpidrEl1));
        var id = new IdAa64Mmfr0(m.Cpus[0].Mrs(SysReg.IdAa64Mmfr0El1));
        Assert.Equal((4, 8), (id.PaRange, id.AsidBits));
        Assert.Equal(0x2UL, m.Cpus[0].Mrs(SysReg.IdAa64Mmfr1El1) & 0xF); // HAFDBS: AF and dirty state
        Assert.Equal(0x410F_D0B0UL, m.Cpus[0].Mrs(SysReg.MidrEl1));
    }
}
