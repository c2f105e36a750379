using MiniBSD.Hal;
using MiniBSD.Hal.Devices;
using MiniBSD.Hal.Isa;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.Registers;

namespace MiniBSD.Tests.Hal;

/// <summary>The console UART through the MMU, and the generic timer.</summary>
public sealed class DeviceTests
{
    private const ulong UartVa = 0xFFFF_0000_7000_0000;

    private static MmuFixture WithUart()
    {
        var f = new MmuFixture();
        f.Map(f.Root1, UartVa, 3, Descriptor.Page(Pl011Uart.DefaultBase, 0b00, attrIndx: 2, pxn: true, uxn: true)); // Device-nGnRE
        f.Enable();
        return f;
    }

    [Fact]
    public void Bytes_stored_to_uartdr_reach_the_console_and_uartfr_reads_empty_fifos()
    {
        var f = WithUart();
        var sink = new Captured();
        f.Machine.Console.Sink = sink;
        foreach (char c in "ok\n") Assert.True(f.Cpu.TryWrite(UartVa + Pl011Uart.UartDr, 1, c));
        Assert.Equal("ok\n", f.Machine.Console.Output);
        Assert.Equal("ok\n", sink.ToString());
        Assert.True(f.Cpu.TryRead(UartVa + Pl011Uart.UartFr, 4, out ulong fr));
        Assert.Equal(Pl011Uart.FrTxfe | Pl011Uart.FrRxfe, fr);
        Assert.Equal(4, f.Cpu.Counters.DeviceAccesses);
        f.AssertCoherent();
    }

    [Fact]
    public void Undecoded_registers_and_unaligned_device_accesses_fault()
    {
        var f = WithUart();
        Assert.False(f.Cpu.TryWrite(UartVa + 0x100, 4, 1));
        Assert.Equal(Esr.DataAbort(false, FaultStatus.ExternalAbort, write: true), f.Cpu.Esr);
        Assert.False(f.Cpu.TryRead(UartVa + 0x19, 4, out _));
        Assert.Equal(FaultStatus.Alignment, f.Cpu.Esr.FaultStatus);
        f.AssertCoherent();
    }

    [Fact]
    public void The_virtual_timer_fires_when_the_count_reaches_the_compare_value()
    {
        var cpu = new Machine(new MachineConfig { Cpus = 1 }).Cpus[0];
        Assert.Equal(62_500_000UL, cpu.Mrs(SysReg.CntfrqEl0));
        cpu.Msr(SysReg.CntvCvalEl0, 1000);
        cpu.Msr(SysReg.CntvCtlEl0, Cpu.TimerEnable);
        Assert.False(cpu.TimerInterruptPending);
        Assert.Equal(40_000L, cpu.TimerDeadline);
        cpu.AdvanceClock(40_000 - cpu.Clock);
        Assert.Equal(1000UL, cpu.Mrs(SysReg.CntvctEl0));
        Assert.True(cpu.TimerInterruptPending);
        Assert.Equal(Cpu.TimerEnable | Cpu.TimerIstatus, cpu.Mrs(SysReg.CntvCtlEl0));
        cpu.Msr(SysReg.CntvCtlEl0, Cpu.TimerEnable | Cpu.TimerImask);     // masked: condition holds, no interrupt
        Assert.False(cpu.TimerInterruptPending);
        Assert.Null(cpu.TimerDeadline);
        cpu.EnterUser(0x2000);
        cpu.TakeInterrupt();
        Assert.Equal((1, 0x2000UL, Cpu.SpsrEl0t), (cpu.El, cpu.Elr, cpu.Spsr));
        Assert.Equal(1, cpu.Counters.InterruptsTaken);
    }
}
