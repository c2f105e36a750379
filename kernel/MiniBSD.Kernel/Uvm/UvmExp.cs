namespace MiniBSD.Kernel.Uvm;

/// <summary>
/// The fault counters of struct uvmexp (uvm/uvmexp.h), as `vmstat -s` prints them: faults handled, and how each was
/// resolved.
/// </summary>
public sealed class UvmExp
{
    /// <summary>faults: calls of uvm_fault.</summary>
    public long Faults;
    /// <summary>flt_przero: a zero-filled page for anonymous memory.</summary>
    public long ZeroFill;
    /// <summary>flt_acow: copy-on-write of a shared anon (after fork).</summary>
    public long AnonCopy;
    /// <summary>flt_prcopy: an object page (text or data) promoted into a private anon on a write.</summary>
    public long ObjectCopy;
    /// <summary>flt_obj: an object page mapped read-only, shared (text).</summary>
    public long ObjectMap;
    /// <summary>flt_anon: an existing anon mapped again (after its entry was invalidated, or read-only after fork).</summary>
    public long AnonMap;
    /// <summary>Faults that ended in a signal (no mapping, no permission) or in ENOMEM.</summary>
    public long Failed;

    public string Format() =>
        $"{Faults} faults: {ZeroFill} zero-fill, {AnonCopy} copy-on-write, {ObjectCopy} object copy, {ObjectMap} shared object, {AnonMap} anon remap, {Failed} failed";
}
