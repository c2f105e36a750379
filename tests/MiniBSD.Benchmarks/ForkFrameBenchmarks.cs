using BenchmarkDotNet.Attributes;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Benchmarks;

/// <summary>fork's copy of a coroutine frame (DESIGN.md: a prototype did over a million a second).</summary>
[MemoryDiagnoser]
public class ForkFrameBenchmarks
{
    private sealed class Context
    {
        public long Ret;
    }

    private sealed class Program
    {
        public IEnumerator<Op> Main(Context ctx)
        {
            long a = 1, b = 2, c = 3;
            while (true)
            {
                ctx.Ret = a + b + c;
                yield return Op.Work(a++);
            }
        }
    }

    private readonly FrameCloner _cloner = new();
    private readonly Program _program = new();
    private readonly Context _parent = new(), _child = new();
    private IEnumerator<Op> _frame = null!;

    [GlobalSetup]
    public void Setup()
    {
        _frame = _program.Main(_parent);
        _frame.MoveNext();
    }

    [Benchmark(Description = "clone a user frame for fork (two objects re-pointed)")]
    public object CloneFrame() => _cloner.Clone(_frame, _parent, _child, _program, _program);
}
