using System.Text;

namespace MiniBSD.Hal.Devices;

/// <summary>
/// The console: the transmit and flag registers of an Arm PL011 UART at QEMU virt's UART0 address (0x0900_0000).
/// A byte stored to UARTDR (offset 0x000) is sent at once; UARTFR (offset 0x018) always reads "transmit FIFO empty,
/// receive FIFO empty" (TXFE bit 7, RXFE bit 4). The console carries bytes: each one goes to an optional sink as
/// it comes, unchanged (UTF-8 text stays UTF-8), and the last <see cref="KeepBytes"/> are kept for
/// <see cref="Output"/>, so a program that prints forever does not grow the host's memory.
/// </summary>
public sealed class Pl011Uart : IMmioDevice
{
    public const ulong DefaultBase = 0x0900_0000;
    public const ulong UartDr = 0x000, UartFr = 0x018;
    public const ulong FrTxfe = 1 << 7, FrRxfe = 1 << 4;

    /// <summary>How many of the last bytes sent <see cref="Output"/> keeps.</summary>
    public const int KeepBytes = 1 << 20;

    private byte[] _kept = new byte[4096];   // grows to KeepBytes, then a ring

    public ulong Base { get; init; } = DefaultBase;
    public ulong Size => 0x1000;

    /// <summary>Receives each byte as it is sent (the CLI's is its standard output).</summary>
    public Stream? Sink { get; set; }

    /// <summary>Bytes sent since the machine was made.</summary>
    public long BytesSent { get; private set; }

    /// <summary>What was sent, as UTF-8 text: all of it, or its last <see cref="KeepBytes"/> bytes.</summary>
    public string Output
    {
        get
        {
            int n = (int)Math.Min(BytesSent, KeepBytes), start = (int)(BytesSent % KeepBytes);
            var bytes = BytesSent <= KeepBytes ? _kept.AsSpan(0, n).ToArray() : [.. _kept.AsSpan(start), .. _kept.AsSpan(0, start)];
            return Encoding.UTF8.GetString(bytes);
        }
    }

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
        byte b = (byte)value;
        if (BytesSent == _kept.Length && _kept.Length < KeepBytes) Array.Resize(ref _kept, _kept.Length * 2);
        _kept[BytesSent % KeepBytes] = b;
        BytesSent++;
        Sink?.WriteByte(b);
        return true;
    }
}
