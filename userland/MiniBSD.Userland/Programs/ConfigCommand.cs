using MiniBSD.Kernel.Kern;
using MiniBSD.Userland.Libc;

namespace MiniBSD.Userland.Programs;

/// <summary>
/// config(8), MiniBSD's stand-in: <c>config [-o OBJECTS] [NAME]</c> writes the makefile of kernel NAME (GENERIC.MP)
/// with OBJECTS compile jobs to standard output (<see cref="KernelMakefile"/>). OpenBSD's config reads the kernel's
/// configuration file and writes compile/NAME/Makefile; MiniBSD has no writable file system yet, so the build
/// workload pipes the makefile into <c>make -f -</c>.
/// </summary>
public sealed class ConfigCommand : UserProgram
{
    protected override IEnumerator<Op> Main()
    {
        long objects = KernelMakefile.DefaultObjects;
        for (int i = 1; i < Args.Length; i++)
        {
            if (Args[i] == "-o" && i + 1 < Args.Length)
            {
                if (!ParseNumber(Args[++i], out objects) || objects < KernelMakefile.MinObjects || objects > KernelMakefile.MaxObjects)
                    return Fail($"-o {Args[i]}: the number of objects must be {KernelMakefile.MinObjects} to {KernelMakefile.MaxObjects}");
            }
            else if (Args[i].StartsWith('-')) return Fail($"unknown option {Args[i]}; usage: config [-o objects] [name]");
        }
        return Write(KernelMakefile.Generate((int)objects));
    }

    private IEnumerator<Op> Write(string makefile)
    {
        yield return Printf(makefile);
        yield return Op.Return(0);
    }

    private IEnumerator<Op> Fail(string message)
    {
        yield return Warnx(message);
        yield return Op.Return(1);
    }
}
