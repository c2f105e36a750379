using System.Buffers.Binary;

namespace MiniBSD.Kernel.Abi;

/// <summary>
/// struct rusage (sys/resource.h) as OpenBSD/arm64 lays it out: ru_utime and ru_stime (struct timeval: time_t
/// seconds, long microseconds), then 14 longs (ru_maxrss ... ru_nivcsw), 144 bytes. MiniBSD fills the two times as
/// calctsru does, from statclock's ticks (utime = uticks / stathz, stime = sticks / stathz; interrupt ticks in
/// neither), and leaves the counters 0.
/// </summary>
public static class Rusage
{
    public const int Size = 16 + 16 + 14 * 8;
    public const int RUSAGE_SELF = 0;
    public const int RUSAGE_CHILDREN = -1;
    public const int RUSAGE_THREAD = 1;

    /// <summary>calctsru: the user and system times of <paramref name="tu"/>'s ticks.</summary>
    public static void Write(Span<byte> ru, in Kern.TUsage tu)
    {
        ru.Clear();
        WriteTimeval(ru, tu.UTicks, Kern.StatClock.Stathz);
        WriteTimeval(ru[16..], tu.STicks, Kern.StatClock.Stathz);
    }

    /// <summary>A struct timeval from cycles: whole seconds, then microseconds (truncated).</summary>
    public static void WriteTimeval(Span<byte> tv, long cycles, long frequencyHz)
    {
        long us = (long)((Int128)cycles * 1_000_000 / frequencyHz);
        BinaryPrimitives.WriteInt64LittleEndian(tv, us / 1_000_000);
        BinaryPrimitives.WriteInt64LittleEndian(tv[8..], us % 1_000_000);
    }

    /// <summary>Microseconds in a struct timeval.</summary>
    public static long ReadMicroseconds(ReadOnlySpan<byte> tv) =>
        BinaryPrimitives.ReadInt64LittleEndian(tv) * 1_000_000 + BinaryPrimitives.ReadInt64LittleEndian(tv[8..]);
}
