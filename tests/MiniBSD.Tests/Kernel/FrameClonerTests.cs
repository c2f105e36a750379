using MiniBSD.Kernel.Kern;

namespace MiniBSD.Tests.Kernel;

/// <summary>fork's frame copy: locals copied like registers, per-process objects re-pointed at the child's.</summary>
public sealed class FrameClonerTests
{
    /// <summary>Stands for a process's system-call context (what a libc would hold).</summary>
    private sealed class Context(string who)
    {
        public string Who { get; } = who;
        public List<long> Seen { get; } = [];
    }

    private sealed class Program
    {
        public int Offset = 100;

        public IEnumerator<Op> Main(Context ctx)
        {
            int counter = 0;
            while (true)
            {
                counter++;
                ctx.Seen.Add(Offset + counter);
                yield return Op.Work(counter);
            }
        }
    }

    [Fact]
    public void A_cloned_frame_continues_from_the_same_point_with_its_own_locals_and_the_childs_objects()
    {
        var cloner = new FrameCloner();
        var program = new Program();
        var parentCtx = new Context("parent");
        var parent = program.Main(parentCtx);
        for (int i = 0; i < 3; i++) parent.MoveNext();                 // counter = 3 in the parent
        var childProgram = cloner.Clone(program, parentCtx, new Context("unused"), program, program);
        childProgram.Offset = 200;
        var childCtx = new Context("child");
        var child = cloner.Clone(parent, parentCtx, childCtx, program, childProgram);
        child.MoveNext();
        child.MoveNext();
        parent.MoveNext();
        Assert.Equal([101L, 102, 103, 104], parentCtx.Seen);             // the parent's counter went on from 3
        Assert.Equal([204L, 205], childCtx.Seen);                        // the child's too, in its own program copy
        Assert.Equal(5, child.Current.Value);
        Assert.Equal(4, parent.Current.Value);
        Assert.Equal(2, cloner.CompiledTypes);
    }

    [Fact]
    public void Cloning_the_same_frame_type_again_reuses_the_compiled_copier()
    {
        var cloner = new FrameCloner();
        var program = new Program();
        for (int i = 0; i < 10; i++)
        {
            var ctx = new Context("p");
            var frame = program.Main(ctx);
            frame.MoveNext();
            cloner.Clone(frame, ctx, new Context("c"), program, program).MoveNext();
        }
        Assert.Equal(1, cloner.CompiledTypes);
    }
}
