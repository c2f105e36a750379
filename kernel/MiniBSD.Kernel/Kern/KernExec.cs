using System.Text;
using MiniBSD.Hal;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Uvm;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Kern;

/// <summary>
/// kern_exec.c: sys_execve. The arguments and environment are copied in and checked first (ENOENT, E2BIG, EFAULT,
/// ENAMETOOLONG leave the caller untouched); past the point of no return the address space is emptied
/// (uvmspace_exec) and rebuilt: text (the program's shared read-only, executable object), data (copy-on-write from
/// its object), bss, and a stack under <see cref="UserLayout.UsrStack"/> (DFLSSIZ read-write in a MAXSSIZ reservation); the strings and the
/// argc/argv/envp vector are copied onto the new stack, caught signals are reset (execsigs), and the thread's user
/// frames are replaced by the new program's first frame.
/// </summary>
public sealed class KernExec(Uvm.Uvm uvm, ProgramRegistry programs, KernExit exit)
{
    /// <summary>ARG_MAX (sys/syslimits.h): bytes of arguments and environment, strings and pointers.</summary>
    public const int ARG_MAX = 512 * 1024;


    /// <summary>Text and data objects by path: kept while the program may run again, as the vnode cache keeps them.</summary>
    private readonly SortedDictionary<string, (UvmObject Text, UvmObject Data)> _objects = new(StringComparer.Ordinal);

    /// <summary>Set once by the kernel: the user-mode support the new image runs with.</summary>
    internal IUserMode? UserMode { get; set; }

    public long Execs { get; private set; }

    internal Dmesg? Dmesg { get; set; }

    public void Register(Sysent s) => s.Add(SysCall.Execve, SysExecve);

    /// <summary>sys_execve(path, argv, envp): the strings are copied in; then <see cref="Execve"/>.</summary>
    private IEnumerator<Op> SysExecve(Proc p, SyscallArgs a)
    {
        var error = Copy.Copyinstr(uvm, p, (ulong)a.A0, Fcntl.PATH_MAX, out string path);
        string[] argv = [], envp = [];
        int total = 0;
        if (error == Errno.None) error = CopyinVector(p, (ulong)a.A1, ref total, out argv);
        if (error == Errno.None) error = CopyinVector(p, (ulong)a.A2, ref total, out envp);
        if (error != Errno.None)
        {
            yield return Op.Return(-(long)error);
            yield break;
        }
        yield return Op.Call(Execve(p, path, argv, envp));
        yield return Op.Return(p.Retval);
    }

    /// <summary>Copies in a NULL-terminated vector of string pointers; E2BIG past ARG_MAX (counting each string, its NUL and its pointer).</summary>
    private Errno CopyinVector(Proc p, ulong vector, ref int total, out string[] strings)
    {
        var list = new List<string>();
        strings = [];
        if (vector == 0) return Errno.None;   // OpenBSD takes a NULL argv or envp as empty
        for (ulong i = 0; ; i++)
        {
            if (Copy.CopyinLong(uvm, p, vector + 8 * i, out long ptr) is var e and not Errno.None) return e;
            if (ptr == 0) break;
            var error = Copy.Copyinstr(uvm, p, (ulong)ptr, ARG_MAX - total, out string s);
            if (error == Errno.ENAMETOOLONG) return Errno.E2BIG;
            if (error != Errno.None) return error;
            total += Encoding.UTF8.GetByteCount(s) + 1 + 8;
            if (total > ARG_MAX) return Errno.E2BIG;
            list.Add(s);
        }
        strings = [.. list];
        return Errno.None;
    }

    /// <summary>
    /// The exec proper, from kernel strings (start_init calls it directly): 0, or -errno before the point of no
    /// return (ENOENT for an unknown path, E2BIG, ENOMEM); a failure after it kills the process with SIGABRT.
    /// </summary>
    public IEnumerator<Op> Execve(Proc p, string path, string[] argv, string[] envp)
    {
        var image = programs.Lookup(path.StartsWith('/') ? path : "/" + path);   // the working directory is /
        var error = image is null ? (programs.LookupFile(path) is null ? Errno.ENOENT : Errno.EACCES) : Errno.None;
        if (error == Errno.None && VectorBytes(argv, envp) > ARG_MAX) error = Errno.E2BIG;
        var cpu = uvm.Machine.Cpu(p.Cpu);
        var objects = error == Errno.None ? Objects(cpu, image!) : default;
        if (error == Errno.None && objects.Text is null) error = Errno.ENOMEM;
        if (error != Errno.None)
        {
            yield return Op.Return(-(long)error);
            yield break;
        }
        // The point of no return.
        var pr = p.Process!;
        if (!NewImage(cpu, p, pr, image!, objects, argv, envp))
        {
            yield return Op.Call(exit.Exit1(p, 0, (int)Signal.SIGABRT));   // exec_abort
            yield break;
        }
        Execs++;
        if (KernFork.ReleasePpwait(pr)) yield return Op.Wakeup(pr.Parent!);   // PS_EXEC: a vfork parent goes on
        if (Dmesg is { DebugEnabled: true }) Dmesg.Debug(cpu, $"pid {pr.Pid}: exec {image!.Path}{(argv.Length > 1 ? " " + string.Join(' ', argv[1..]) : "")}");
        yield return Op.Return(0);
    }

    private static long VectorBytes(string[] argv, string[] envp) =>
        argv.Concat(envp).Sum(s => (long)Encoding.UTF8.GetByteCount(s) + 1 + 8);

    /// <summary>The program's text and data objects, made at its first exec; (null, null) on ENOMEM.</summary>
    private (UvmObject Text, UvmObject Data) Objects(Cpu cpu, ProgramImage image)
    {
        if (_objects.TryGetValue(image.Path, out var o)) return o;
        var text = uvm.UvmObjectCreate(cpu, new byte[image.TextPages * 4096], PageUse.Text);
        if (text is null) return default;
        var data = uvm.UvmObjectCreate(cpu, image.Data ?? [], PageUse.Text);
        if (data is null)
        {
            uvm.UvmObjectUnref(cpu, text);
            return default;
        }
        return _objects[image.Path] = (text, data);
    }

    /// <summary>Drops the cached program objects (at shutdown, so every frame is free again).</summary>
    public void FlushCache(Cpu cpu)
    {
        foreach (var (text, data) in _objects.Values)
        {
            uvm.UvmObjectUnref(cpu, text);
            uvm.UvmObjectUnref(cpu, data);
        }
        _objects.Clear();
    }

    private bool NewImage(Cpu cpu, Proc p, Process pr, ProgramImage image, (UvmObject Text, UvmObject Data) objects, string[] argv, string[] envp)
    {
        if (pr.Vmspace is { } old)
        {
            var vm = uvm.UvmspaceExec(cpu, old);
            if (vm is null) return false;
            if (vm != old) uvm.Pmaps.PmapActivate(cpu, vm.Pmap);
            pr.Vmspace = vm;
        }
        else
        {
            pr.Vmspace = uvm.UvmspaceAlloc(cpu);   // the first exec of a process the kernel made (init)
            if (pr.Vmspace is null) return false;
            uvm.Pmaps.PmapActivate(cpu, pr.Vmspace.Pmap);
        }
        MapSegments(pr.Vmspace, image, objects);
        if (!CopyoutArgs(p, argv, envp, out ulong sp, out ulong argvVa, out ulong envpVa)) return false;
        pr.SigActs.Execsigs();
        pr.Command = image.Path[(image.Path.LastIndexOf('/') + 1)..];
        var program = image.Create();
        p.Program = program;
        p.UserMode = UserMode;
        p.ReplaceUserFrames(program.Start(p, argv.Length, argvVa, envpVa, sp));
        p.FetchEntry = true;
        return true;
    }

    /// <summary>Text at the bottom of user space, data at <see cref="VmLayout.DataStart"/>, bss after it, the stack in its reservation (exec_setup_stack).</summary>
    private void MapSegments(Vmspace vm, ProgramImage image, (UvmObject Text, UvmObject Data) objects)
    {
        var map = vm.Map;
        uvm.UvmMapObject(map, VmLayout.UserMin, objects.Text, 0, objects.Text.PageCount, VmProt.Read | VmProt.Execute, VmProt.Read | VmProt.Execute);
        uvm.UvmMapObject(map, VmLayout.DataStart, objects.Data, 0, objects.Data.PageCount, VmProt.ReadWrite, VmProt.All);
        ulong bss = VmLayout.DataStart + ((ulong)objects.Data.PageCount << 12);
        if (image.BssPages > 0) uvm.UvmMapAnon(map, bss, (ulong)image.BssPages << 12, VmProt.ReadWrite, VmProt.All, VmInherit.Copy);
        vm.DataStart = VmLayout.DataStart;
        vm.Break = bss + ((ulong)image.BssPages << 12);
        uvm.UvmMapAnon(map, UserLayout.UsrStack - UserLayout.StackSize, UserLayout.StackSize, VmProt.ReadWrite, VmProt.All, VmInherit.Copy);
        uvm.UvmMapAnon(map, UserLayout.UsrStack - UserLayout.MaxStackSize, UserLayout.MaxStackSize - UserLayout.StackSize, VmProt.None, VmProt.All, VmInherit.Copy);   // the rest of MAXSSIZ
    }

    /// <summary>
    /// copyargs: the strings at the top of the stack (argv's, then envp's), then below them, 16-byte aligned, the
    /// vector: argc, argv[0..], NULL, envp[0..], NULL. The stack pointer points at argc.
    /// </summary>
    private bool CopyoutArgs(Proc p, string[] argv, string[] envp, out ulong sp, out ulong argvVa, out ulong envpVa)
    {
        var strings = argv.Concat(envp).Select(s => Encoding.UTF8.GetBytes(s + "\0")).ToArray();
        ulong at = UserLayout.UsrStack - (ulong)strings.Sum(b => b.Length);
        ulong stringsStart = at;
        var pointers = new long[strings.Length];
        for (int i = 0; i < strings.Length; i++)
        {
            pointers[i] = (long)at;
            at += (ulong)strings[i].Length;
        }
        int words = 1 + argv.Length + 1 + envp.Length + 1;
        sp = (stringsStart - (ulong)words * 8) & ~15UL;
        argvVa = sp + 8;
        envpVa = argvVa + (ulong)(argv.Length + 1) * 8;
        var vector = new byte[words * 8];
        BitConverter.TryWriteBytes(vector, (long)argv.Length);
        for (int i = 0; i < argv.Length; i++) BitConverter.TryWriteBytes(vector.AsSpan(8 + 8 * i), pointers[i]);
        for (int i = 0; i < envp.Length; i++) BitConverter.TryWriteBytes(vector.AsSpan((int)(envpVa - sp) + 8 * i), pointers[argv.Length + i]);
        if (Copy.Copyout(uvm, p, vector, sp) != Errno.None) return false;
        at = stringsStart;
        foreach (var s in strings)
        {
            if (Copy.Copyout(uvm, p, s, at) != Errno.None) return false;
            at += (ulong)s.Length;
        }
        return true;
    }
}
