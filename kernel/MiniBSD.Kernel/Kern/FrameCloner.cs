using System.Linq.Expressions;
using System.Reflection;

namespace MiniBSD.Kernel.Kern;

/// <summary>
/// Copies a coroutine frame for fork (DESIGN.md "Threads as coroutine stacks"): a frame is a compiler-generated
/// iterator object, so a shallow copy (MemberwiseClone) copies its state and its locals, which then behave like
/// registers and stack. References to the parent's per-process objects (the program object behind
/// &lt;&gt;4__this, the process's system-call context) are pointed at the child's. Any other host object a local refers
/// to stays shared, which is why programs keep their lasting state in emulated memory.
/// Per frame type, the copier is compiled once (an expression tree), so fork uses no reflection.
/// </summary>
public sealed class FrameCloner
{
    private static readonly MethodInfo MemberwiseCloneMethod =
        typeof(object).GetMethod(nameof(MemberwiseClone), BindingFlags.NonPublic | BindingFlags.Instance)!;

    private readonly Dictionary<Type, Func<object, object[], object>> _copiers = [];

    /// <summary>Copiers compiled so far (one per frame or program type).</summary>
    public int CompiledTypes => _copiers.Count;

    /// <summary>
    /// A shallow copy of <paramref name="frame"/> in which every field referring to <paramref name="old1"/> refers to
    /// <paramref name="new1"/> instead, and likewise for <paramref name="old2"/>/<paramref name="new2"/>.
    /// </summary>
    public T Clone<T>(T frame, object old1, object new1, object old2, object new2) where T : class =>
        Clone(frame, [old1, new1, old2, new2]);

    /// <summary>
    /// A shallow copy of <paramref name="frame"/> in which every field referring to <c>remap[2i]</c> refers to
    /// <c>remap[2i + 1]</c> instead (pairs of like type: thread, process, program object).
    /// </summary>
    public T Clone<T>(T frame, object[] remap) where T : class =>
        (T)CopierFor(frame.GetType())(frame, remap);

    private Func<object, object[], object> CopierFor(Type type)
    {
        if (!_copiers.TryGetValue(type, out var copier)) _copiers[type] = copier = Compile(type);
        return copier;
    }

    /// <summary>What a reference field holds after the copy: its pair's new object, or the same.</summary>
    public static object? Remap(object? value, object[] remap)
    {
        if (value is null) return null;
        for (int i = 0; i < remap.Length; i += 2)
            if (ReferenceEquals(value, remap[i])) return remap[i + 1];
        return value;
    }

    /// <summary>(src, remap) => { var c = (T)src.MemberwiseClone(); for each reference field f: r = Remap(c.f, remap); if (r != c.f) c.f = (F)r; return c; }</summary>
    private static Func<object, object[], object> Compile(Type type)
    {
        var src = Expression.Parameter(typeof(object), "src");
        var remap = Expression.Parameter(typeof(object[]), "remap");
        var copy = Expression.Variable(type, "copy");
        var body = new List<Expression>
        {
            Expression.Assign(copy, Expression.Convert(Expression.Call(src, MemberwiseCloneMethod), type)),
        };
        var remapMethod = typeof(FrameCloner).GetMethod(nameof(Remap))!;
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
            foreach (var f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (f.FieldType.IsValueType || f.IsInitOnly) continue;
                // Only a field that changes is written: MemberwiseClone copied the rest, and every reference store
                // costs a GC write barrier.
                var field = Expression.Field(copy, f);
                var value = Expression.Convert(field, typeof(object));
                var remapped = Expression.Variable(typeof(object), "remapped");
                body.Add(Expression.Block([remapped],
                    Expression.Assign(remapped, Expression.Call(remapMethod, value, remap)),
                    Expression.IfThen(Expression.Not(Expression.ReferenceEqual(remapped, value)),
                        Expression.Assign(field, Expression.Convert(remapped, f.FieldType)))));
            }
        body.Add(Expression.Convert(copy, typeof(object)));
        var lambda = Expression.Lambda<Func<object, object[], object>>(Expression.Block([copy], body), src, remap);
        return lambda.Compile();
    }
}
