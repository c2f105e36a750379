namespace MiniBSD.Kernel.Kern;

/// <summary>
/// struct tusage (sys/proc.h): a thread's or a process's time as statclock samples it (tu_uticks, tu_sticks,
/// tu_iticks: ticks that found it in user mode, in the kernel, in an interrupt), and beside the samples the exact
/// cycles of each kind, which a simulator can count and a kernel cannot. Spinning on a lock is system time of the
/// spinner (statclock only relabels the CPU's state CP_SPIN; the tick still goes to tu_sticks), so
/// <see cref="SpinCycles"/> is part of <see cref="SysCycles"/>.
/// </summary>
public struct TUsage
{
    public long UTicks, STicks, ITicks;
    public long UserCycles, SysCycles, SpinCycles, IntrCycles;

    /// <summary>tuagg_add / ruadd: <paramref name="other"/>'s time added to this.</summary>
    public void Add(in TUsage other)
    {
        UTicks += other.UTicks;
        STicks += other.STicks;
        ITicks += other.ITicks;
        UserCycles += other.UserCycles;
        SysCycles += other.SysCycles;
        SpinCycles += other.SpinCycles;
        IntrCycles += other.IntrCycles;
    }

    /// <summary>The sum of two usages.</summary>
    public static TUsage operator +(TUsage a, in TUsage b)
    {
        a.Add(b);
        return a;
    }
}
