using System.Text.Json;

namespace MiniBSD.Hal.Cost;

/// <summary>
/// Simulated-cycle costs of the events the machine models: one table for every CPU, overridable from a JSON
/// file. Each figure is taken from published hardware numbers or reasoned from them as its comment says; they
/// describe a Cortex-A76/Neoverse-N1 class core and must never be tuned to make a later result come out a way.
/// </summary>
public sealed record CostTable
{
    /// <summary>A load or store whose translation hits the TLB: the L1D load-to-use latency, 4 cycles on
    /// Cortex-A76 (Arm Cortex-A76 Software Optimization Guide, "Load/store"), the TLB lookup being pipelined.</summary>
    public long AccessTlbHit { get; init; } = 4;

    /// <summary>Extra cost of a miss before the walk starts: an L2-TLB/walker hand-off, about 6 cycles
    /// (Cortex-A76 TRM: L1 TLB miss that hits the L2 TLB costs a few cycles).</summary>
    public long TlbMiss { get; init; } = 6;

    /// <summary>One descriptor read during a walk. Table lines are usually in L2: Cortex-A76 L2 hit latency
    /// is 9-11 cycles (Software Optimization Guide); 12 with the walker's own step.</summary>
    public long WalkRead { get; init; } = 12;

    /// <summary>A TLBI executed by this PE on its own TLB: issue plus the local lookup/invalidate, ~20 cycles.</summary>
    public long TlbiLocal { get; init; } = 20;

    /// <summary>Per other PE reached by a broadcast (IS) TLBI: the DVM message and its acknowledgement over the
    /// interconnect, of the order of 100 cycles per target on mesh interconnects (Arm CMN-600 DVM round trips);
    /// this is why a broadcast TLBI grows with the CPU count.</summary>
    public long TlbiBroadcastPerCpu { get; init; } = 100;

    /// <summary>
    /// The mesh model's broadcast TLBI (MachineConfig.TlbiModel.Mesh): TlbiMeshCycles x (sqrt(PEs) - 1) for one
    /// broadcaster, and broadcasts serialise in the interconnect, each waiting for those in flight. The shapes are
    /// measured ones: on a 32-CPU Ampere system the latency of TLBI broadcasts "increases almost linearly with the
    /// number of CPUs trying to send tlbi broadcasts at the same time" (A. Arcangeli, "arm64: tlb: skip tlbi
    /// broadcast", 2020); a single process's TLBI + DSB took 5.4 % of CPU on 8 cores and 17.0 % on a ~100-core
    /// Kunpeng 920 (B. Song, batched TLB flush v2 cover letter): 3.2x for 12.5x the cores, the growth of a mesh's
    /// diameter (sqrt 12.5 = 3.5), not of a per-target cost (12.5x). The constant keeps one broadcast on 8 PEs at the
    /// old model's 700 cycles; that puts one TLBI + DSB near 0.35 µs (875 cycles) at 12 PEs, the one absolute figure
    /// found (D. Jain, arm64 "Elide TLB flush in certain pte protection transitions": 3.2 -> 2.85 µs an mprotect).
    /// </summary>
    public long TlbiMeshCycles { get; init; } = 383;

    /// <summary>DSB: drain outstanding memory operations and wait for maintenance to complete, ~30 cycles
    /// when nothing is outstanding (pipeline drain).</summary>
    public long Dsb { get; init; } = 30;

    /// <summary>ISB: pipeline flush and refetch, ~20 cycles (front-end depth of a Cortex-A76 is 11-13 stages).</summary>
    public long Isb { get; init; } = 20;

    /// <summary>MSR/MRS of a system register, ~10 cycles (serialising for the MMU registers).</summary>
    public long SystemRegister { get; init; } = 10;

    /// <summary>AT S1E*: a full walk that does not use the TLB, priced as a miss; its reads are added per level.</summary>
    public long AddressTranslate { get; init; } = 6;

    /// <summary>Zeroing a 4 KiB frame with DC ZVA at 64 bytes a cycle would be 64 cycles; store bandwidth on
    /// a Cortex-A76 is 32 bytes/cycle at best, so 128, doubled for write-allocate traffic: 256.</summary>
    public long FrameZero { get; init; } = 256;

    /// <summary>Copying a 4 KiB frame: a load and a store stream at ~16 bytes/cycle sustained, 512 cycles.</summary>
    public long FrameCopy { get; init; } = 512;

    /// <summary>Taking an exception to EL1 (vector fetch, state save by the entry code), ~60 cycles; a null
    /// syscall round trip measures ~100-150 cycles on Cortex-A76 class cores.</summary>
    public long ExceptionEntry { get; init; } = 60;

    /// <summary>ERET back to the interrupted context, ~40 cycles.</summary>
    public long ExceptionReturn { get; init; } = 40;

    /// <summary>A load or store to a device register: uncached, ordered, across the interconnect to the device,
    /// of the order of 100 cycles (a few tens of nanoseconds to a UART on an SoC's peripheral bus).</summary>
    public long DeviceAccess { get; init; } = 100;

    // x86-64 (the amd64 machine). Measured figures are rare for these privileged instructions; each says what it rests on.

    /// <summary>INVLPG: 80 cycles in 64-bit mode (AMD64 Software Optimization Guide, as quoted in "AMD64 TLB invalidation
    /// performance", zwillow.blogspot.com, 2006; a K8-era figure).</summary>
    public long Invlpg { get; init; } = 80;

    /// <summary>INVPCID of one address: about 350 cycles a page on a Skylake desktop (D. Hansen, "x86/mm: ... INVPCID",
    /// linux-mm, December 2017: "the incremental TLB-flush-time cost of ~350 cycles per-page").</summary>
    public long Invpcid { get; init; } = 350;

    /// <summary>MOV to CR3 beyond a plain register write: no measurement was found; priced as one INVPCID (350), an
    /// assumption. The refill cost of the entries it flushes is paid by the walks that follow.</summary>
    public long Cr3Write { get; init; } = 350;

    /// <summary>Sending one IPI (a WRMSR to the x2APIC ICR): priced as an uncached device write, 100 cycles (an
    /// assumption of the same order as <see cref="DeviceAccess"/>).</summary>
    public long IpiSend { get; init; } = 100;

    /// <summary>From the ICR write to the target's interrupt entry: about 1 µs (2,500 cycles at 2.5 GHz), the "base IPI
    /// ~1 µs" rule of thumb of practitioners' write-ups (unseel.com, "TLB shootdown"); unsourced, a sanity figure.</summary>
    public long IpiDelivery { get; init; } = 2500;

    /// <summary>Interrupt entry through the IDT with the frame pushed and the handler's prologue (swapgs, EOI): 150
    /// cycles, an assumption of about two exception entries.</summary>
    public long InterruptEntry { get; init; } = 150;

    /// <summary>One acknowledgement on tlb_shoot_wait: a locked decrement that moves the shared cache line, 21-29 ns
    /// inside an AMD CCX (nviennot/core-to-core-latency, issue #125, EPYC 7453): 60 cycles at 2.5 GHz. The acks of one
    /// shootdown serialise on the line.</summary>
    public long IpiAck { get; init; } = 60;

    /// <summary>Simulated clock frequency, for turning cycles into time (CNTVCT_EL0 ticks at 1/40 of it, as a
    /// 62.5 MHz generic timer next to a 2.5 GHz core).</summary>
    public long FrequencyHz { get; init; } = 2_500_000_000;

    public static CostTable Default { get; } = new();

    /// <summary>
    /// Reads a table from JSON: an object whose keys are property names (any case); keys not given keep their
    /// default. An unknown key or a negative value is an error naming the key and the file.
    /// </summary>
    public static CostTable Load(string path)
    {
        string text = File.ReadAllText(path);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text); }
        catch (JsonException e) { throw new FormatException($"{path}:{e.LineNumber + 1}: not valid JSON: {e.Message}", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new FormatException($"{path}: the cost table must be a JSON object");
            var table = Default;
            var props = typeof(CostTable).GetProperties().Where(p => p.PropertyType == typeof(long)).ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
            foreach (var field in doc.RootElement.EnumerateObject())
            {
                if (!props.TryGetValue(field.Name, out var prop))
                    throw new FormatException($"{path}: unknown cost '{field.Name}' (known: {string.Join(", ", props.Keys.Order())})");
                if (field.Value.ValueKind != JsonValueKind.Number || !field.Value.TryGetInt64(out long v) || v < 0)
                    throw new FormatException($"{path}: cost '{field.Name}' must be a non-negative whole number of cycles");
                table = table with { };
                prop.SetValue(table, v);
            }
            return table;
        }
    }
}
