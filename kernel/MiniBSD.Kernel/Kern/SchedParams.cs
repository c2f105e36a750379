namespace MiniBSD.Kernel.Kern;

/// <summary>
/// Kernel-side costs and knobs of the scheduler, in simulated cycles (hardware costs are the HAL's cost table).
/// </summary>
/// <param name="QuantumCycles">A time slice: 10 ms at 2.5 GHz, OpenBSD's hz = 100 round-robin interval.</param>
/// <param name="ContextSwitchCycles">Software cost of cpu_switchto (save and restore registers, pick the next thread):
/// about 200 cycles on a Cortex-A76 class core; the TTBR write and exception costs are charged by the HAL.</param>
/// <param name="LockHandoffCycles">Moving a contended lock's cache line to the next owner: ~100 cycles on a mesh.</param>
/// <param name="SyscallDispatchCycles">svc_handler's software part: save the registers into the trapframe, find the
/// sysent entry, copy the arguments (~80 cycles); the exception entry and return are the HAL's.</param>
/// <param name="UserCallCycles">A user program's call into a subroutine frame, or its return (BL/RET and the frame
/// set-up, ~5 cycles): so even a program that only calls and returns moves time on, and the timer can preempt it.</param>
/// <param name="ClockInterruptCycles">One clock interrupt's handler on a busy CPU (stathz times a second): the
/// exception entry and return (100 cycles in the cost table) and clockintr_dispatch with statclock and hardclock
/// (about 500 more: an estimate, not a measurement). It is interrupt time, in neither user nor system time.</param>
/// <param name="Seed">Seeds the optional jitter of time slices, so different seeds give different but reproducible
/// interleavings (as Pintos's -j does).</param>
/// <param name="JitterCycles">Each slice is lengthened by a seeded random amount below this (0: no jitter).</param>
/// <param name="SwitchJitterCycles">Each context switch costs a seeded random amount below this on top (0: none):
/// the cache and TLB noise that makes two runs of real hardware interleave differently.</param>
public sealed record SchedParams(
    long QuantumCycles = 25_000_000,
    long ContextSwitchCycles = 200,
    long LockHandoffCycles = 100,
    long SyscallDispatchCycles = 80,
    long UserCallCycles = 5,
    long ClockInterruptCycles = 600,
    int Seed = 0,
    long JitterCycles = 0,
    long SwitchJitterCycles = 0);
