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

    private readonly Dictionary<Type, Func<object, object, object, object, object, object>> _copiers = [];

    /// <summary>Copiers compiled so far (one per frame or program type).</summary>
    public int CompiledTypes => _copiers.Count;

    /// <summary>
    /// A shallow copy of <paramref name="frame"/> in which every field referring to <paramref name="old1"/> refers to
    /// <paramref name="new1"/> instead, and likewise for <paramref name="old2"/>/<paramref name="new2"/>.
    /// </summary>
    public T Clone<T>(T frame, object old1, object new1, object old2, object new2) where T : class =>
        (T)CopierFor(frame.GetType())(frame, old1, new1, old2, new2);

    private Func<object, object, object, object, object, object> CopierFor(Type type)
    {
        if (!_copiers.TryGetValue(type, out var copier)) _copiers[type] = copier = Compile(type);
        return copier;
    }

    /// <summary>(src, old1, new1, old2, new2) => { var c = (T)src.MemberwiseClone(); remap each reference field; return c; }</summary>
    private static Func<object, object, object, object, object, object> Compile(Type type)
    {
        var src = Expression.Parameter(typeof(object), "src");
        var old1 = Expression.Parameter(typeof(object), "old1");
        var new1 = Expression.Parameter(typeof(object), "new1");
        var old2 = Expression.Parameter(typeof(object), "old2");
        var new2 = Expression.Parameter(typeof(object), "new2");
        var copy = Expression.Variable(type, "copy");
        var body = new List<Expression>
        {
            Expression.Assign(copy, Expression.Convert(Expression.Call(src, MemberwiseCloneMethod), type)),
        };
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
            foreach (var f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (f.FieldType.IsValueType || f.IsInitOnly) continue;
                var field = Expression.Field(copy, f);
                var asObject = Expression.Convert(field, typeof(object));
                body.Add(Remap(field, asObject, old1, new1, f.FieldType));
                body.Add(Remap(field, Expression.Convert(field, typeof(object)), old2, new2, f.FieldType));
            }
        body.Add(Expression.Convert(copy, typeof(object)));
        var lambda = Expression.Lambda<Func<object, object, object, object, object, object>>(
            Expression.Block([copy], body), src, old1, new1, old2, new2);
        return lambda.Compile();
    }

    /// <summary>if (ReferenceEquals(field, old) &amp;&amp; new is assignable) field = (FieldType)new;</summary>
    private static ConditionalExpression Remap(MemberExpression field, Expression value, ParameterExpression old, ParameterExpression replacement, Type fieldType) =>
        Expression.IfThen(
            Expression.AndAlso(Expression.ReferenceEqual(value, old), Expression.TypeIs(replacement, fieldType)),
            Expression.Assign(field, Expression.Convert(replacement, fieldType)));
}
