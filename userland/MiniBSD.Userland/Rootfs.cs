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
        new("/bin/echo", () => new Echo()),
        new("/bin/true", () => new True()),
        new("/bin/false", () => new False()),
        new("/bin/sleep", () => new Sleep()),
        new("/bin/cat", () => new Cat(), TextPages: 2),
        new("/bin/kill", () => new KillCommand()),
        new("/usr/bin/seq", () => new Seq(), TextPages: 2),
        new("/usr/bin/wc", () => new Wc(), TextPages: 2),
        new("/usr/bin/memtouch", () => new Memtouch()),
        new("/usr/bin/cowtest", () => new Cowtest()),
        new("/usr/bin/forkbench", () => new Forkbench()),
        new("/usr/bin/exitstorm", () => new Exitstorm()),
    ];

    /// <summary>The path of every program.</summary>
    public static readonly IReadOnlySet<string> ProgramPaths = Images.Select(i => i.Path).ToHashSet(StringComparer.Ordinal);

    /// <summary>The directories sh searches (its default PATH).</summary>
    public static readonly string[] Path = ["/bin", "/usr/bin", "/sbin"];

    /// <summary>A registry with every program and <paramref name="rc"/> as /etc/rc.</summary>
    public static ProgramRegistry Create(string rc)
    {
        var r = new ProgramRegistry();
        foreach (var image in Images) r.Add(image);
        r.AddFile("/etc/rc", Encoding.UTF8.GetBytes(rc));
        return r;
    }
}
