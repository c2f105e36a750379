using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MiniBSD.Hal.Memory;

/// <summary>
/// The machine's RAM: one contiguous range of physical addresses starting at
/// <see cref="Base"/> (0x4000_0000, as on QEMU's virt board), made of 4 KiB frames.
/// A frame gets host memory the first time it is written, so untouched RAM costs
/// nothing; a frame that was never written reads as zero. Once a frame has host
/// backing it keeps it (a cached pointer to it, as the fast path holds, never goes stale).
/// </summary>
public sealed class PhysicalMemory
{
    /// <summary>Physical address of the first byte of RAM (QEMU virt: 0x4000_0000).</summary>
    public const ulong DefaultBase = 0x4000_0000;

    public const int FrameShift = 12;
    public const int FrameSize = 1 << FrameShift;
    internal const int WordsPerFrame = FrameSize / sizeof(ulong);

    private readonly ulong[]?[] _frames;

    public PhysicalMemory(ulong sizeBytes, ulong baseAddress = DefaultBase)
    {
        if (sizeBytes == 0 || sizeBytes % FrameSize != 0)
            throw new ArgumentOutOfRangeException(nameof(sizeBytes), sizeBytes, "RAM size must be a non-zero multiple of 4 KiB");
        if (baseAddress % FrameSize != 0)
            throw new ArgumentOutOfRangeException(nameof(baseAddress), baseAddress, "RAM base must be 4 KiB aligned");
        if (sizeBytes / FrameSize > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(sizeBytes), sizeBytes, "RAM larger than 8 TiB is not supported");
        Base = baseAddress;
        Size = sizeBytes;
        _frames = new ulong[]?[sizeBytes / FrameSize];
    }

    public ulong Base { get; }
    public ulong Size { get; }
    public ulong End => Base + Size;
    public int FrameCount => _frames.Length;

    /// <summary>How many frames have host memory behind them (touched at least once).</summary>
    public int BackedFrames
    {
        get
        {
            int n = 0;
            foreach (var f in _frames)
                if (f is not null) n++;
            return n;
        }
    }

    /// <summary>True when [pa, pa+length) lies wholly inside RAM.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Contains(ulong pa, ulong length = 1) =>
        pa >= Base && length <= Size && pa - Base <= Size - length;

    /// <summary>Reads an aligned 8-byte word; false when the address is outside RAM.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryRead64(ulong pa, out ulong value)
    {
        ulong off = pa - Base;
        if (off >= Size || (pa & 7) != 0)
            return TryReadSlow(pa, 8, out value);
        var frame = _frames[(int)(off >> FrameShift)];
        value = frame is null ? 0 : frame[(int)(off & (FrameSize - 1)) >> 3];
        return true;
    }

    /// <summary>Writes an aligned 8-byte word; false when the address is outside RAM.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite64(ulong pa, ulong value)
    {
        ulong off = pa - Base;
        if (off >= Size || (pa & 7) != 0)
            return TryWriteSlow(pa, 8, value);
        FrameFor(off)[(int)(off & (FrameSize - 1)) >> 3] = value;
        return true;
    }

    /// <summary>Reads 1, 2, 4 or 8 bytes (little-endian), possibly unaligned, possibly across frames.</summary>
    public bool TryRead(ulong pa, int size, out ulong value)
    {
        if (size == 8 && (pa & 7) == 0) return TryRead64(pa, out value);
        return TryReadSlow(pa, size, out value);
    }

    /// <summary>Writes 1, 2, 4 or 8 bytes (little-endian), possibly unaligned, possibly across frames.</summary>
    public bool TryWrite(ulong pa, int size, ulong value)
    {
        if (size == 8 && (pa & 7) == 0) return TryWrite64(pa, value);
        return TryWriteSlow(pa, size, value);
    }

    public ulong Read64(ulong pa) =>
        TryRead64(pa, out var v) ? v : throw OutsideRam(pa, 8);

    public void Write64(ulong pa, ulong value)
    {
        if (!TryWrite64(pa, value)) throw OutsideRam(pa, 8);
    }

    /// <summary>Copies bytes out of RAM; throws when the range leaves RAM.</summary>
    public void ReadBytes(ulong pa, Span<byte> destination)
    {
        if (!Contains(pa, (ulong)destination.Length)) throw OutsideRam(pa, destination.Length);
        while (!destination.IsEmpty)
        {
            ulong off = pa - Base;
            int inFrame = (int)(off & (FrameSize - 1));
            int n = Math.Min(destination.Length, FrameSize - inFrame);
            var frame = _frames[(int)(off >> FrameShift)];
            if (frame is null) destination[..n].Clear();
            else MemoryMarshal.AsBytes(frame.AsSpan()).Slice(inFrame, n).CopyTo(destination);
            destination = destination[n..];
            pa += (ulong)n;
        }
    }

    /// <summary>Copies bytes into RAM; throws when the range leaves RAM (nothing is written then).</summary>
    public void WriteBytes(ulong pa, ReadOnlySpan<byte> source)
    {
        if (!Contains(pa, (ulong)source.Length)) throw OutsideRam(pa, source.Length);
        while (!source.IsEmpty)
        {
            ulong off = pa - Base;
            int inFrame = (int)(off & (FrameSize - 1));
            int n = Math.Min(source.Length, FrameSize - inFrame);
            source[..n].CopyTo(MemoryMarshal.AsBytes(FrameFor(off).AsSpan()).Slice(inFrame, n));
            source = source[n..];
            pa += (ulong)n;
        }
    }

    /// <summary>Fills one frame with zeros. A frame with no host memory is already zero.</summary>
    public void ZeroFrame(ulong pa)
    {
        var frame = _frames[FrameIndex(pa)];
        if (frame is not null) Array.Clear(frame);
    }

    /// <summary>Copies a whole frame to another.</summary>
    public void CopyFrame(ulong destinationPa, ulong sourcePa)
    {
        var src = _frames[FrameIndex(sourcePa)];
        int dst = FrameIndex(destinationPa);
        if (src is null)
        {
            if (_frames[dst] is { } d) Array.Clear(d);
            return;
        }
        src.AsSpan().CopyTo(FrameFor((ulong)dst << FrameShift));
    }

    /// <summary>
    /// The host words behind the frame holding <paramref name="pa"/>, creating them if needed.
    /// Used by the CPU's fast path, which caches the array for a TLB-hit page.
    /// </summary>
    internal ulong[] BackingFor(ulong pa) => FrameFor(pa - Base);

    private int FrameIndex(ulong pa)
    {
        if ((pa & (FrameSize - 1)) != 0 || !Contains(pa, FrameSize)) throw NotAFrame(pa);
        return (int)((pa - Base) >> FrameShift);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong[] FrameFor(ulong offset) =>
        _frames[(int)(offset >> FrameShift)] ??= new ulong[WordsPerFrame];

    private bool TryReadSlow(ulong pa, int size, out ulong value)
    {
        value = 0;
        if (size is not (1 or 2 or 4 or 8)) throw new ArgumentOutOfRangeException(nameof(size));
        if (!Contains(pa, (ulong)size)) return false;
        Span<byte> buf = stackalloc byte[8];
        buf.Clear();
        ReadBytes(pa, buf[..size]);
        value = BitConverter.ToUInt64(buf);
        return true;
    }

    private bool TryWriteSlow(ulong pa, int size, ulong value)
    {
        if (size is not (1 or 2 or 4 or 8)) throw new ArgumentOutOfRangeException(nameof(size));
        if (!Contains(pa, (ulong)size)) return false;
        Span<byte> buf = stackalloc byte[8];
        BitConverter.TryWriteBytes(buf, value);
        WriteBytes(pa, buf[..size]);
        return true;
    }

    // Exceptions are made in methods of their own: an interpolated string in a hot method slows all of it.
    private ArgumentOutOfRangeException NotAFrame(ulong pa) =>
        new(nameof(pa), $"0x{pa:X}: not a frame address in RAM [0x{Base:X}, 0x{End:X})");

    private ArgumentOutOfRangeException OutsideRam(ulong pa, int length) =>
        new(nameof(pa), $"physical range 0x{pa:X}+{length} is outside RAM [0x{Base:X}, 0x{End:X})");
}
