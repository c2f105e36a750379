using System.Text;

namespace MiniBSD.Userland;

/// <summary>
/// The makefile of the build workload, in the shape of an OpenBSD GENERIC.MP kernel build as config(8) writes it
/// (Makefile.amd64/arm64): assym.h from genassym first (the locore objects wait for it), one compile a source file,
/// each through <c>/bin/sh -ec</c> because the compile line has shell meta characters (the <c>=</c> of
/// -Wframe-larger-than=2047) and OpenBSD's sh, ksh, forks the compiler; vers.o after every object (newvers.sh, then a
/// compile); then the serial link of bsd. Each object lists the headers it includes, as config's .depend files do, so
/// make's tables are a real make's size. The per-object inputs (computation, heap, text fetched) come from a hash of
/// the object's name, around the means of <see cref="BuildCalibration"/>: the graph is the same on every run and
/// differs from file to file as real compile jobs do, with a tail of big files (drm's) that take several times the mean.
/// </summary>
public static class KernelMakefile
{
    /// <summary>Objects of the build that tests and `minibsd run` use: the full shape, a fiftieth of the size.</summary>
    public const int DefaultObjects = 48;

    /// <summary>A GENERIC.MP kernel's objects (an estimate, docs/build-workload.md): what `bench exit` builds.</summary>
    public const int FullSizeObjects = 2400;

    /// <summary>The fewest objects (the assembly files and one C file) and the most a makefile may have.</summary>
    public const int MinObjects = 8, MaxObjects = 100_000;

    private static readonly string[] Sources =
    [
        "kern/init_main", "kern/kern_clock", "kern/kern_descrip", "kern/kern_event", "kern/kern_exec", "kern/kern_exit",
        "kern/kern_fork", "kern/kern_ktrace", "kern/kern_lock", "kern/kern_malloc", "kern/kern_proc", "kern/kern_prot",
        "kern/kern_resource", "kern/kern_sched", "kern/kern_sig", "kern/kern_synch", "kern/kern_sysctl", "kern/kern_time",
        "kern/kern_timeout", "kern/kern_unveil", "kern/kern_pledge", "kern/kern_xxx", "kern/sched_bsd", "kern/subr_autoconf",
        "kern/subr_disk", "kern/subr_extent", "kern/subr_hibernate", "kern/subr_log", "kern/subr_percpu", "kern/subr_pool",
        "kern/subr_prf", "kern/subr_tree", "kern/sys_generic", "kern/sys_pipe", "kern/sys_process", "kern/sys_socket",
        "kern/syscalls", "kern/tty", "kern/tty_pty", "kern/uipc_mbuf", "kern/uipc_socket", "kern/uipc_socket2",
        "kern/uipc_syscalls", "kern/uipc_usrreq", "kern/vfs_bio", "kern/vfs_cache", "kern/vfs_init", "kern/vfs_lookup",
        "kern/vfs_subr", "kern/vfs_syscalls", "kern/vfs_vnops", "kern/vfs_vops", "uvm/uvm_amap", "uvm/uvm_anon",
        "uvm/uvm_aobj", "uvm/uvm_device", "uvm/uvm_fault", "uvm/uvm_glue", "uvm/uvm_init", "uvm/uvm_km", "uvm/uvm_map",
        "uvm/uvm_meter", "uvm/uvm_mmap", "uvm/uvm_object", "uvm/uvm_page", "uvm/uvm_pager", "uvm/uvm_pdaemon",
        "uvm/uvm_pmemrange", "uvm/uvm_swap", "uvm/uvm_unix", "uvm/uvm_vnode", "ufs/ffs/ffs_alloc", "ufs/ffs/ffs_balloc",
        "ufs/ffs/ffs_inode", "ufs/ffs/ffs_subr", "ufs/ffs/ffs_vfsops", "ufs/ffs/ffs_vnops", "ufs/ufs/ufs_bmap",
        "ufs/ufs/ufs_inode", "ufs/ufs/ufs_lookup", "ufs/ufs/ufs_vnops", "net/if", "net/if_ethersubr", "net/if_loop",
        "net/pf", "net/pf_ioctl", "net/pf_norm", "net/pf_table", "net/route", "net/rtsock", "netinet/in", "netinet/in_pcb",
        "netinet/ip_input", "netinet/ip_output", "netinet/tcp_input", "netinet/tcp_output", "netinet/tcp_subr",
        "netinet/tcp_usrreq", "netinet/udp_usrreq", "dev/pci/pci", "dev/pci/if_em", "dev/usb/usb", "dev/usb/ehci",
        "dev/usb/xhci", "dev/fdt/simplebus", "dev/ic/com", "dev/softraid", "crypto/sha2", "crypto/chacha_private",
    ];

    /// <summary>Directories the rest of a large kernel's files come from (drm's share is the largest).</summary>
    private static readonly string[] MoreDirectories =
    [
        "dev/pci/drm/amd/display/dc", "dev/pci/drm/amd/amdgpu", "dev/pci/drm/amd/display/dc/dml", "dev/pci/drm/i915",
        "dev/pci/drm/i915/display", "dev/pci/drm/radeon", "dev/pci/drm", "dev/pci", "dev/ic", "dev/usb", "dev/acpi",
        "net", "netinet", "netinet6", "net80211", "crypto", "kern", "dev/pci/drm/amd/pm", "dev/sdmmc", "dev/pv",
    ];

    /// <summary>Headers the sources include (each object's .depend names a hash-chosen set of them).</summary>
    private static readonly string[] Headers =
    [
        "sys/param.h", "sys/systm.h", "sys/types.h", "sys/proc.h", "sys/malloc.h", "sys/kernel.h", "sys/mutex.h",
        "sys/rwlock.h", "sys/queue.h", "sys/tree.h", "sys/time.h", "sys/signalvar.h", "sys/file.h", "sys/filedesc.h",
        "sys/vnode.h", "sys/mount.h", "sys/buf.h", "sys/uio.h", "sys/ioctl.h", "sys/device.h", "sys/conf.h",
        "sys/socket.h", "sys/socketvar.h", "sys/mbuf.h", "sys/pool.h", "sys/sched.h", "sys/sysctl.h", "sys/atomic.h",
        "sys/refcnt.h", "sys/task.h", "sys/timeout.h", "sys/event.h", "sys/percpu.h", "sys/smr.h", "sys/stdint.h",
        "uvm/uvm.h", "uvm/uvm_extern.h", "uvm/uvm_map.h", "uvm/uvm_page.h", "uvm/uvm_amap.h", "uvm/uvm_object.h",
        "net/if.h", "net/if_var.h", "net/route.h", "netinet/in.h", "netinet/ip.h", "netinet/tcp.h",
        "dev/pci/pcireg.h", "dev/pci/pcivar.h", "dev/pci/pcidevs.h", "dev/pci/drm/drm_drv.h", "dev/pci/drm/drm_device.h",
        "machine/cpu.h", "machine/pmap.h", "machine/intr.h", "machine/bus.h", "machine/param.h", "machine/atomic.h",
        "machine/cpufunc.h", "machine/pcb.h", "machine/frame.h", "machine/vmparam.h", "lib/libkern/libkern.h", "crypto/sha2.h",
    ];

    /// <summary>conf/newvers.sh, which vers.o's rule runs (relative to the compile directory, where make runs).</summary>
    public const string NewversPath = "/usr/src/sys/conf/newvers.sh";

    /// <summary>newvers.sh: counts the build and writes vers.c (MiniBSD cannot write it; the command substitutions fork as the real script's do).</summary>
    public const string Newvers = """
        # newvers.sh: the kernel's version string, as sys/conf/newvers.sh makes it (vers.c is not written here)
        v=$(echo 1)
        id=$(echo GENERIC.MP)
        echo "OpenBSD 7.8 ($id) #$v" > /dev/null

        """;

    /// <summary>The objects that include assym.h (the locore and assembly files wait for genassym).</summary>
    private static readonly string[] AssymUsers = ["locore0", "locore", "mutex", "vector", "copy", "spl", "mptramp"];

    /// <summary>The compile flags of the kernel's NORMAL_C rule (with -Wframe-larger-than=2047, a shell meta character).</summary>
    private const string Cflags = "-g -Werror -Wall -Wframe-larger-than=2047 -mcmodel=kernel -ffreestanding -fno-pie -O2 -pipe -nostdinc -I../../../.. -D_KERNEL -DMULTIPROCESSOR -MD -MP";

    /// <summary>The object file names of a build of <paramref name="objects"/> objects, in the makefile's order.</summary>
    public static IReadOnlyList<string> Objects(int objects)
    {
        var names = new List<string>(objects);
        for (int i = 0; i < objects; i++) names.Add(Source(i));
        return names;
    }

    /// <summary>The i-th source (without .c): the assembly files, the list above, then numbered files of the big directories.</summary>
    private static string Source(int i)
    {
        if (i < AssymUsers.Length) return $"arch/amd64/amd64/{AssymUsers[i]}";
        i -= AssymUsers.Length;
        if (i < Sources.Length) return Sources[i];
        i -= Sources.Length;
        string dir = MoreDirectories[i % MoreDirectories.Length];
        return $"{dir}/{dir[(dir.LastIndexOf('/') + 1)..]}_{i / MoreDirectories.Length:D4}";   // basenames are unique, as config requires
    }

    /// <summary>The makefile of a kernel of <paramref name="objects"/> objects (at least the assembly files and one more).</summary>
    public static string Generate(int objects = DefaultObjects)
    {
        if (objects < MinObjects || objects > MaxObjects) throw new ArgumentOutOfRangeException(nameof(objects), objects, $"a kernel build has {MinObjects} to {MaxObjects} objects");
        var c = BuildCalibration.Default;
        var text = new StringBuilder();
        var names = new List<string>(objects);
        text.Append("# MiniBSD's build workload: an OpenBSD GENERIC.MP kernel build's shape (written by config, KernelMakefile)\n");
        text.Append(".SHELL: path=/bin/ksh\n");   // OpenBSD's /bin/sh
        text.Append("all: bsd\n\n");
        text.Append($"assym.h: genassym.cf\n\tsh -ec 'cc -c {Cflags} -m {c.HeapPages / 2} -w {c.UserCycles / 2} -t {c.TextPages} genassym.c && echo assym.h > /dev/null'\n\n");
        for (int i = 0; i < objects; i++)
        {
            string src = Source(i);
            string obj = src[(src.LastIndexOf('/') + 1)..] + ".o";
            names.Add(obj);
            var (cycles, pages, textPages) = c.Object(src);
            string file = $"../../../../{src}{(i < AssymUsers.Length ? ".S" : ".c")}";
            text.Append($"{obj}: {file}");
            if (i < AssymUsers.Length) text.Append(" assym.h");
            foreach (string header in Includes(src)) text.Append(" ../../../../").Append(header);
            text.Append($"\n\tcc {Cflags} -m {pages} -w {cycles} -t {textPages} -c {file}\n");
        }
        string all = string.Join(' ', names);
        text.Append($"\nvers.o: {all}\n\tsh {NewversPath}\n\tcc {Cflags} -m {c.HeapPages / 8} -w {c.UserCycles / 50} -t {c.TextPages / 2} -c vers.c\n\n");
        text.Append($"bsd: vers.o {all}\n\tld -m {c.LinkPagesPerObject * objects} -w {c.LinkCyclesPerObject * objects} -o bsd vers.o {all}\n");
        return text.ToString();
    }

    /// <summary>The headers <paramref name="src"/> includes: 24 to 55 of the list, chosen by its name's hash.</summary>
    private static IEnumerable<string> Includes(string src)
    {
        uint h = BuildCalibration.Hash(src + "#h");
        int count = 24 + (int)(h % 32);
        for (int k = 0; k < count; k++) yield return Headers[(int)((h / 32 + (uint)k * 7) % (uint)Headers.Length)];
    }
}
