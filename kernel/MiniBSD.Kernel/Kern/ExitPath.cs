namespace MiniBSD.Kernel.Kern;

/// <summary>
/// Where and in what order a process's address space is torn down when it exits (issue #5; reference §3.1, §3.2,
/// §3.7). The same kernel runs all four, so their costs can be compared in one simulated machine.
/// </summary>
public enum ExitPath : byte
{
    /// <summary>
    /// OpenBSD since 2025 (kern_exit.c 1.252): exit1 drops every hold of KERNEL_LOCK and calls uvm_purge, whose
    /// pmap_purge takes the pmap off this CPU, invalidates its ASID once and marks it inactive before uvmspace_purge,
    /// so the page-by-page pmap_remove issues no invalidation; the reaper (FIFO deadproc) frees the small rest.
    /// </summary>
    Purge,

    /// <summary>
    /// Before the redesign (kern_exit.c 1.242): exit1 tears nothing down; cpu_exit's pmap_deactivate, then sched_exit;
    /// exit2 inserts at the head of deadproc (LIFO); the one reaper thread runs uvm_exit and the whole
    /// uvm_map_teardown for every dead process, one after another.
    /// </summary>
    Reaper,

    /// <summary>
    /// The teardown moved into exit1 without pmap_purge (the minimal diff of the 2025 thread): the pmap is still
    /// loaded and active, so ttlb_flush invalidates every page it removes. Correct, and slower per page.
    /// </summary>
    PurgeUnordered,

    /// <summary>
    /// For teaching, never a default: the teardown in exit1 skips per-page invalidation as if the pmap were inactive,
    /// while this CPU still has it loaded: frames are freed while its TLB maps them. The coherence checker reports
    /// each one, naming the process, the CPU, the ASID and the frame.
    /// </summary>
    PurgeBroken,

    /// <summary>
    /// The 2025 thread's first try (Claudio Jeker's): exit1 calls pmap_remove over the whole user range, from 0 to
    /// VM_MAXUSER_ADDRESS, with the pmap still loaded, before the teardown. Correct and "very slow": a lookup for
    /// every page of the address space, present or not (2^27 on arm64's 39-bit user space; amd64's loop steps 2 MiB
    /// blocks, 2^26 of them), charged exactly.
    /// </summary>
    PurgeRemoveAll,
}

public static class ExitPathNames
{
    public static IReadOnlyList<ExitPath> All { get; } = [ExitPath.Purge, ExitPath.Reaper, ExitPath.PurgeUnordered, ExitPath.PurgeBroken, ExitPath.PurgeRemoveAll];

    /// <summary>The name on the command line: purge, reaper, purge-unordered, purge-broken, purge-remove-all.</summary>
    public static string Name(this ExitPath path) => path switch
    {
        ExitPath.Purge => "purge",
        ExitPath.Reaper => "reaper",
        ExitPath.PurgeUnordered => "purge-unordered",
        ExitPath.PurgeBroken => "purge-broken",
        ExitPath.PurgeRemoveAll => "purge-remove-all",
        _ => throw new ArgumentOutOfRangeException(nameof(path), path, null),
    };

    public static bool TryParse(string name, out ExitPath path)
    {
        foreach (var p in All)
        {
            if (p.Name() != name) continue;
            path = p;
            return true;
        }
        path = default;
        return false;
    }

    /// <summary>Whether exit1 itself tears the address space down (every path but the legacy reaper).</summary>
    public static bool TearsDownInExit1(this ExitPath path) => path != ExitPath.Reaper;
}
