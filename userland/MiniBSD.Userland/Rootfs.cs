using System.Text;
using MiniBSD.Kernel.Abi;
using MiniBSD.Userland.Programs;

namespace MiniBSD.Userland;

/// <summary>
/// The root "file system": every MiniBSD program at its path, and /etc/rc. Text sizes are what a small static
/// program of that kind takes (they cost frames and show text sharing; no instruction in them is executed).
/// </summary>
public static class Rootfs
{
    private static readonly ProgramImage[] Images =
    [
        new("/sbin/init", () => new Init(), TextPages: 4),
        new("/bin/sh", () => new Sh.Shell(), TextPages: 16),
        new("/bin/ksh", () => new Sh.Shell(), TextPages: 16),   // the same shell run as OpenBSD's /bin/sh (Shell.IsKsh)
        new("/bin/echo", () => new Echo()),
        new("/bin/true", () => new True()),
        new("/bin/false", () => new False()),
        new("/bin/sleep", () => new Sleep()),
        new("/bin/cat", () => new Cat(), TextPages: 2),
        new("/bin/kill", () => new KillCommand()),
        new("/sbin/sysctl", () => new SysctlCommand(), TextPages: 2),
        new("/usr/bin/seq", () => new Seq(), TextPages: 2),
        new("/usr/bin/time", () => new TimeCommand(), TextPages: 2),
        new("/usr/bin/wc", () => new Wc(), TextPages: 2),
        new("/usr/bin/fuzz", () => new Programs.Fuzz(), TextPages: 4),
        new("/usr/bin/memtouch", () => new Memtouch()),
        new("/usr/bin/cowtest", () => new Cowtest()),
        new("/usr/bin/forkbench", () => new Forkbench()),
        new("/usr/bin/exitstorm", () => new Exitstorm()),
        new("/usr/bin/make", () => new Make(), TextPages: 24),
        new("/usr/bin/cc", () => new Cc(), TextPages: Cc.ImageText, BssPages: Cc.ImageBss),
        new("/usr/libexec/as", () => new Tool(), TextPages: 32),
        new("/usr/bin/ld", () => new Tool(), TextPages: 32),
        new("/usr/sbin/genassym", () => new Tool(), TextPages: 4),
        new("/usr/sbin/config", () => new ConfigCommand(), TextPages: 8),
    ];

    /// <summary>libc's malloc keeps its break in the first word after a one-page data segment.</summary>
    public static ProgramImage Checked(ProgramImage image) =>
        image.Data is { Length: > 4096 } ? throw new ArgumentException($"{image.Path}: MiniBSD's libc takes at most one page of initialised data", nameof(image))
        : image.BssPages < 1 ? throw new ArgumentException($"{image.Path}: libc needs a bss page for malloc's break", nameof(image))
        : image;

    /// <summary>The path of every program.</summary>
    public static readonly IReadOnlySet<string> ProgramPaths = Images.Select(i => i.Path).ToHashSet(StringComparer.Ordinal);

    /// <summary>The directories sh searches (its default PATH).</summary>
    public static readonly string[] Path = ["/bin", "/usr/bin", "/sbin", "/usr/sbin"];

    /// <summary>
    /// The default /etc/rc that <c>minibsd boot</c> runs: a short tour of fork, exec, copy-on-write, exit and wait
    /// whose output does not depend on the seed or the number of CPUs.
    /// </summary>
    public const string DefaultRc = """
        # MiniBSD's default /etc/rc: fork, exec, copy-on-write, exit and wait at work.
        echo "rc: MiniBSD is up; running the default workload"
        echo "fork + exec + wait: $(echo hello from a child process)"
        cowtest 16
        memtouch 64 && echo "memtouch: 64 fresh pages written (zero-fill faults)"
        forkbench 20 16 && echo "forkbench: 20 x (fork, child writes 16 copy-on-write pages, exit, wait)"
        exitstorm 16 8 && echo "exitstorm: 16 children at once, 8 pages each, all reaped"
        echo "pipeline: $(seq 1 1000 | wc -l) lines counted"
        sh -c 'exit 3'; echo "sh -c 'exit 3' gave $?"
        sleep 0.001 & echo "a sleeper runs in the background"; wait; echo "wait: reaped it"
        n=0; for i in $(seq 1 10); do n=$((n + i)); done; echo "sum of 1..10 is $n"
        echo "rc: done"

        """;

    /// <summary>A registry with every program and <paramref name="rc"/> at <paramref name="rcPath"/> (init runs it).</summary>
    public static ProgramRegistry Create(string rc, string rcPath = "/etc/rc")
    {
        var r = new ProgramRegistry();
        foreach (var image in Images) r.Add(Checked(image));
        r.AddFile(Make.DefaultMakefile, Encoding.UTF8.GetBytes(KernelMakefile.Generate()));
        r.AddFile(KernelMakefile.NewversPath, Encoding.UTF8.GetBytes(KernelMakefile.Newvers));
        r.AddFile(rcPath, Encoding.UTF8.GetBytes(rc));
        return r;
    }
}
