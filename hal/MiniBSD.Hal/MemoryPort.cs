using System.Runtime.CompilerServices;

namespace MiniBSD.Hal;

/// <summary>
/// Loads and stores by the code running on one CPU for a stretch of its time (a user program's time slice, a
/// kernel copy loop). It behaves exactly as <see cref="Cpu.TryRead64"/> and <see cref="Cpu.TryWrite64"/> do; the
/// difference is accounting: the hits its micro-TLB serves are counted in the port, which the JIT keeps in a
/// register, and charged to the CPU's clock and counters before any other access and when the port is disposed.
/// Nothing else may look at the CPU's clock while a port has uncharged hits, which holds in MiniBSD because
/// other CPUs run only at yield points.
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
        ref ulong word = ref Cpu.MicroWord(_cpu._microRead, va, out bool hit);
        if (hit)
        {
            _hits++;
            value = word;
            return true;
        }
        Charge();
        return _cpu.TryRead64(va, out value);
    }

    /// <summary>STR Xt, [va]; false when it took a synchronous exception.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite64(ulong va, ulong value)
    {
        ref ulong word = ref Cpu.MicroWord(_cpu._microWrite, va, out bool hit);
        if (hit)
        {
            _hits++;
            word = value;
            return true;
        }
        Charge();
        return _cpu.TryWrite64(va, value);
    }

    /// <summary>Charges the counted hits to the CPU now.</summary>
    public void Charge()
    {
        if (_hits == 0) return;
        _cpu.ChargeHits(_hits);
        _hits = 0;
    }

    public void Dispose() => Charge();
}
