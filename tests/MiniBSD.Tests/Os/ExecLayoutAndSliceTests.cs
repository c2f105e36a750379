using MiniBSD.Hal;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Tests.Os;

/// <summary>
/// What execve builds and how user computation is sliced: the stack is DFLSSIZ read-write at the top of a MAXSSIZ
/// reservation (exec_setup_stack's two vmcmds), and a long computation is cut by the timer at the end of each slice,
/// so two compute-bound processes on one CPU take turns slice by slice (hardclock's round robin).
/// </summary>
public abstract class ExecLayoutAndSliceTests(Arch arch)
{
    [Fact]
    public void The_stack_is_dflssiz_read_write_in_a_maxssiz_reservation()
    {
        var s = new MiniSystem("sleep 0.01\n", arch: arch);
        s.Kernel.Run(5_000_000);                  // 2 ms: init has exec'd and runs rc
        var map = s.Kernel.Init!.Vmspace!.Map;
        var rw = map.Lookup(UserLayout.UsrStack - 8)!;
        var reserve = map.Lookup(UserLayout.UsrStack - UserLayout.StackSize - 8)!;
        Assert.Equal((UserLayout.UsrStack - (2UL << 20), UserLayout.UsrStack, VmProt.ReadWrite), (rw.Start, rw.End, rw.Protection));
        Assert.Equal((UserLayout.UsrStack - (32UL << 20), rw.Start, VmProt.None), (reserve.Start, reserve.End, reserve.Protection));
        Assert.Null(reserve.Amap);   // nothing of it is ever faulted in
        Assert.Equal("", s.Run());
        s.AssertCleanHalt();
    }

    [Fact]
    public void Two_long_computations_on_one_cpu_take_turns_slice_by_slice()
    {
        // Each cc computes 100 ms in 4 phases of 25 ms, longer than a 10 ms slice.
        var s = new MiniSystem("cc -m 1 -w 250000000 a.c & cc -m 1 -w 250000000 b.c & wait; echo done\n", cpus: 1, arch: arch);
        s.Kernel.Exit.Stats.Record = true;
        Assert.Equal("done\n", s.Run());
        s.AssertCleanHalt();
        var ends = s.Kernel.Exit.Stats.Processes.Where(e => e.Command == "cc").Select(e => e.Exit1At).Order().ToArray();
        Assert.Equal(2, ends.Length);
        // Turn by turn, both finish near the end (200 ms); one after the other, the first would end at 100 ms.
        long tenMs = 25_000_000;
        Assert.True(ends[0] > 18 * tenMs, $"the first cc ended at {ends[0]} cycles");
        Assert.True(ends[1] - ends[0] <= tenMs + tenMs / 2, $"cc ended at {ends[0]} and {ends[1]}");
    }
}

public sealed class ExecLayoutAndSliceTestsArm64() : ExecLayoutAndSliceTests(Arch.Arm64);

public sealed class ExecLayoutAndSliceTestsAmd64() : ExecLayoutAndSliceTests(Arch.Amd64);
