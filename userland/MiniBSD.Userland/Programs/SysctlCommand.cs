using MiniBSD.Kernel.Kern;
using MiniBSD.Userland.Libc;
using Mib = MiniBSD.Kernel.Abi.Sysctl;

namespace MiniBSD.Userland.Programs;

/// <summary>
/// sysctl(8), reading only: <c>sysctl [-n] [name ...]</c> prints each name as name=value (-n: the value alone), or
/// every name MiniBSD knows. An unknown name prints "sysctl: NAME: unknown name" and gives status 1.
/// </summary>
public sealed class SysctlCommand : UserProgram
{
    protected override IEnumerator<Op> Main()
    {
        var args = Args.Skip(1).ToList();
        bool valueOnly = args.Count > 0 && args[0] == "-n";
        if (valueOnly) args.RemoveAt(0);
        if (args.Count == 0) args = Mib.Names.Select(n => n.Name).ToList();
        int status = 0;
        foreach (var name in args)
        {
            int known = Mib.Names.ToList().FindIndex(n => n.Name == name);
            if (known < 0)
            {
                yield return Print(2, $"sysctl: {name}: unknown name\n");
                status = 1;
                continue;
            }
            var (_, mib, type) = Mib.Names[known];
            yield return Sysctl(mib[0], mib[1]);
            if (Ret < 0)
            {
                yield return Print(2, $"sysctl: {name}: {Strerror(Errno)}\n");
                status = 1;
                continue;
            }
            string value = type switch
            {
                Mib.CtlType.Int => SysctlInt.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Mib.CtlType.Quad => SysctlQuad.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => SysctlString,
            };
            yield return Printf(valueOnly ? $"{value}\n" : $"{name}={value}\n");
        }
        yield return Op.Return(status);
    }
}
