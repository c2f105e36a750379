using MiniBSD.Hal;
using MiniBSD.Hal.Devices;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Dev;

/// <summary>
/// The console driver (OpenBSD's pl011 cnputc): for each byte, wait until UARTFR says the transmit FIFO is not full,
/// then store the byte to UARTDR, both through the kernel's Device mapping of the UART.
/// </summary>
public static class Pl011Console
{
    private const ulong FrTxff = 1 << 5;

    /// <summary>Where every MD locore maps the UART's registers (Device memory, kernel only): the top of the kernel half.</summary>
    public const ulong UartVa = 0xFFFF_FF00_0000_0000;

    /// <summary>cnputc: one byte out.</summary>
    public static void Cnputc(Cpu cpu, byte c)
    {
        ulong fr;
        do
        {
            if (!cpu.TryRead(UartVa + Pl011Uart.UartFr, 4, out fr)) throw Panic($"cnputc: UARTFR unreadable ({cpu})");
        }
        while ((fr & FrTxff) != 0);
        if (!cpu.TryWrite(UartVa + Pl011Uart.UartDr, 1, c)) throw Panic($"cnputc: UARTDR unwritable ({cpu})");
    }

    /// <summary>A string out, as UTF-8.</summary>
    public static void Cnputs(Cpu cpu, string text)
    {
        foreach (byte b in System.Text.Encoding.UTF8.GetBytes(text)) Cnputc(cpu, b);
    }
}
