namespace MiniBSD.Kernel.Kern;

/// <summary>
/// A spinning, recursive kernel lock in simulated time (OpenBSD's __mp_lock, which KERNEL_LOCK is). A thread that
/// finds it held by another spins: its CPU does nothing else until the holder releases, and resumes at the release
/// time plus the hand-off cost. Waiters get it in the order they started spinning.
/// </summary>
public sealed class MpLock(string name)
{
    internal readonly Queue<(Proc Proc, long Since)> Waiters = new();

    public string Name { get; } = name;

    /// <summary>The holding thread, or null.</summary>
    public Proc? Owner { get; internal set; }

    /// <summary>How many times the owner holds it (recursion).</summary>
    public int Depth { get; internal set; }

    /// <summary>When the current owner took it.</summary>
    internal long AcquiredAt { get; set; }

    public long Acquisitions { get; internal set; }
    public long Contended { get; internal set; }
    public long HoldCycles { get; internal set; }
    public long WaitCycles { get; internal set; }

    public override string ToString() => $"{Name}: {Acquisitions} acquisitions ({Contended} contended), held {HoldCycles} cycles, waited {WaitCycles}";
}
