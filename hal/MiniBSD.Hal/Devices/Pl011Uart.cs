using System.Text;

namespace MiniBSD.Hal.Devices;

/// <summary>
/// The console: the transmit and flag registers of an Arm PL011 UART at QEMU virt's UART0 address (0x0900_0000).
/// A byte stored to UARTDR (offset 0x000) is sent at once; UARTFR (offset 0x018) always reads "transmit FIFO empty,
/// receive FIFO empty" (TXFE bit 7, RXFE bit 4). Everything sent is kept, and passed to an optional sink as it comes.
/// </summary>
public sealed class Pl011Uart : IMmioDevice
{
    public const ulong DefaultBase = 0x0900_0000;
    public const ulong UartDr = 0x000, UartFr = 0x018;
    public const ulong FrTxfe = 1 << 7, FrRxfe = 1 << 4;

    private readonly StringBuilder _sent = new();

    public ulong Base { get; init; } = DefaultBase;
    public ulong Size => 0x1000;

    /// <summary>Receives each character as it is sent (the CLI writes them to stdout).</summary>
    public TextWriter? Sink { get; set; }

    /// <summary>Everything sent so far.</summary>
    public string Output => _sent.ToString();

    public bool Read(int cpu, ulong offset, int size, out ulong value)
    {
        value = offset switch
        {
            UartFr => FrTxfe | FrRxfe,
            UartDr => 0,
            _ => ulong.MaxValue,
        };
        return value != ulong.MaxValue;
    }

    public bool Write(int cpu, ulong offset, int size, ulong value)
    {
        if (offset == UartFr) return true; // read-only register: the write is ignored
        if (offset != UartDr) return false;
        char c = (char)(value & 0xFF);
        _sent.Append(c);
        Sink?.Write(c);
        return true;
    }
}
