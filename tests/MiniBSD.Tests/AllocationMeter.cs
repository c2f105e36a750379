namespace MiniBSD.Tests;

/// <summary>Host bytes allocated on this thread by an action: how tests check that hot paths allocate nothing.</summary>
internal static class AllocationMeter
{
    public static long Bytes(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>
    /// Bytes the action allocates in steady state: the least of a few runs after warming up, since the runtime may
    /// allocate on this thread while it re-compiles a method at a higher tier; a path that allocates does so every run.
    /// </summary>
    public static long SteadyStateBytes(Action action)
    {
        action();
        action();
        long least = long.MaxValue;
        for (int i = 0; i < 3; i++) least = Math.Min(least, Bytes(action));
        return least;
    }
}
