using System.Runtime.CompilerServices;

namespace MiniBSD.Hal;

/// <summary>
/// Loads and stores by the code running on one CPU for a stretch of its time (a user program's time slice, a
/// kernel copy loop). It behaves exactly as <see cref="Cpu.TryRead64"/> and <see cref="Cpu.TryWrite64"/> do; the
/// difference is accounting: hits of the CPU's last-page cache are counted in the port, which the JIT keeps in a
/// register, and charged to the CPU's clock and counters before any slower access and when the port is disposed.
/// Nothing else may look at the CPU's clock while a port has uncharged hits, which holds in MiniBSD because other
/// CPUs run only at yield points and a ref struct cannot live across one.
/// </summary>
public ref struct MemoryPort
{
    private readonly Cpu _cpu;
    private long _hits;

    internal MemoryPort(Cpu cpu)
    {
        _cpu = cpu;
        _hits = 0;
    }

    public readonly Cpu Cpu => _cpu;

    /// <summary>LDR Xt, [va]; false when it took a synchronous exception.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryRead64(ulong va, out ulong value)
    {
        var cpu = _cpu;
        if ((va & ~0xFF8UL) == cpu._readPageTag)
        {
            _hits++;
            value = Cpu.PageWord(cpu._readPageWords, va);
            return true;
        }
        long hits = _hits;
        _hits = 0;
        var (ok, slow) = Cpu.PortRead64(cpu, hits, va);
        value = slow;
        return ok;
    }

    /// <summary>STR Xt, [va]; false when it took a synchronous exception.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite64(ulong va, ulong value)
    {
        var cpu = _cpu;
        if ((va & ~0xFF8UL) == cpu._writePageTag)
        {
            _hits++;
            Cpu.PageWord(cpu._writePageWords, va) = value;
            return true;
        }
        long hits = _hits;
        _hits = 0;
        return Cpu.PortWrite64(cpu, hits, va, value);
    }

    /// <summary>
    /// LDR of each 8-byte word of [<paramref name="va"/>, +8 x length) in order, within one page: the same loads as
    /// <see cref="TryRead64"/> one by one, with the same results, cycles and counts. The first may miss and walk;
    /// when it leaves the page in the last-page cache, the rest are those cache's hits and are copied in one go
    /// (a table scan such as pmap_vp_destroy's). False when a load took an exception.
    /// </summary>
    public bool TryRead64Run(ulong va, scoped Span<ulong> destination)
    {
        if (destination.IsEmpty) return true;
        if ((va & 7) != 0 || (va & 0xFFF) + (ulong)destination.Length * 8 > 0x1000)
            throw new ArgumentOutOfRangeException(nameof(va), "a run of loads must be aligned and stay in one page");
        if (!TryRead64(va, out destination[0])) return false;
        var cpu = _cpu;
        if (cpu._readPageTag != (va & ~0xFFFUL))
        {
            for (int i = 1; i < destination.Length; i++)
                if (!TryRead64(va + (ulong)i * 8, out destination[i])) return false;
            return true;
        }
        int first = (int)((va & 0xFFF) >> 3) + 1;
        cpu._readPageWords.AsSpan(first, destination.Length - 1).CopyTo(destination[1..]);
        _hits += destination.Length - 1;
        return true;
    }

    /// <summary>Charges the counted hits to the CPU now (Dispose does it too).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Charge()
    {
        if (_hits == 0) return;
        _cpu.ChargeHits(_hits);
        _hits = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Dispose() => Charge();
}
