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
