using MiniBSD.Hal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MiniBSD.Kernel.Kern;

/// <summary>
/// The kernel message buffer (subr_log.c's msgbuf, read by dmesg(8)): log(9) and printf(9) from the kernel, each
/// stamped with the simulated time of the CPU that printed it, written through Microsoft.Extensions.Logging. The
/// messages are also kept, as dmesg keeps them, for a test or a summary to read.
/// </summary>
public sealed class Dmesg(ILogger? logger = null, long frequencyHz = 2_500_000_000)
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly bool _debug = (logger ?? NullLogger.Instance).IsEnabled(LogLevel.Debug);   // asked at every exit step
    private readonly Queue<string> _buffer = new();

    /// <summary>MSGBUFSIZE in lines: the buffer keeps the newest messages.</summary>
    public const int Capacity = 4096;

    /// <summary>What has been printed, oldest first, as dmesg shows it (the newest <see cref="Capacity"/>).</summary>
    public IReadOnlyCollection<string> Messages => _buffer;

    /// <summary>log(9) at <paramref name="level"/>: "[seconds.micros] message", timed by <paramref name="cpu"/>'s clock.</summary>
    public void Log(LogLevel level, Cpu? cpu, string message)
    {
        long cycles = cpu?.Clock ?? 0;
        string stamp = $"[{cycles / frequencyHz,5}.{cycles % frequencyHz * 1_000_000 / frequencyHz:D6}]";
        if (_buffer.Count == Capacity) _buffer.Dequeue();
        _buffer.Enqueue($"{stamp} {message}");
        if (_logger.IsEnabled(level)) _logger.Log(level, "{Stamp} {Message}", stamp, message);
    }

    public void Printf(Cpu? cpu, string message) => Log(LogLevel.Information, cpu, message);

    /// <summary>Debug messages (every exec and exit) are made and kept only when a logger shows them.</summary>
    public bool DebugEnabled => _debug;

    public void Debug(Cpu? cpu, string message) => Log(LogLevel.Debug, cpu, message);
}
