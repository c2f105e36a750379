using System.Text;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Userland.Libc;

/// <summary>The system call wrappers (unistd.h, sys/wait.h, signal.h, sys/mman.h, time.h).</summary>
public abstract partial class UserProgram
{
    protected static Op Sys(SysCall code, long a0 = 0, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0) =>
        Op.Syscall(code, a0, a1, a2, a3, a4, a5);

    /// <summary>_exit(status): never returns.</summary>
    protected static Op Exit(long status) => Sys(SysCall.Exit, status);

    /// <summary>fork(): a frame; afterwards <see cref="Ret"/> is the child's pid in the parent, 0 in the child.</summary>
    protected Op Fork() => Op.Call(ForkFrame());

    /// <summary>vfork(): as <see cref="Fork"/>, but the parent sleeps until the child execs or exits (OpenBSD copies the address space all the same).</summary>
    protected Op Vfork() => Op.Call(ForkFrame(SysCall.Vfork));

    private IEnumerator<Op> ForkFrame(SysCall call = SysCall.Fork)
    {
        yield return Sys(call);
        if (!Ctx.Carry && Ctx.X0 == 0) AtForkChild();
        yield return Op.Return(Ctx.X0);
    }

    protected static Op Getpid() => Sys(SysCall.Getpid);
    protected static Op Getppid() => Sys(SysCall.Getppid);
    protected static Op SchedYield() => Sys(SysCall.SchedYield);
    protected static Op Close(int fd) => Sys(SysCall.Close, fd);
    protected static Op Dup(int fd) => Sys(SysCall.Dup, fd);
    protected static Op Dup2(int from, int to) => Sys(SysCall.Dup2, from, to);
    protected static Op Kill(long pid, Signal signal) => Sys(SysCall.Kill, pid, (long)signal);

    /// <summary>open(path, flags).</summary>
    protected Op Open(string path, int flags)
    {
        StoreString(Buffer, path);
        return Sys(SysCall.Open, (long)Buffer, flags);
    }

    /// <summary>write(fd, text) of a string's UTF-8 bytes, from the buffer (at most 60 KiB per call).</summary>
    protected Op Write(int fd, string text) => Write(fd, Encoding.UTF8.GetBytes(text));

    protected Op Write(int fd, ReadOnlySpan<byte> bytes)
    {
        int n = Math.Min(bytes.Length, BufferSize);
        Store(Buffer, bytes[..n]);
        return Sys(SysCall.Write, fd, (long)Buffer, n);
    }

    /// <summary>read(fd, buffer, n) into the buffer; afterwards <see cref="ReadResult"/> gives the bytes.</summary>
    protected Op Read(int fd, int n = BufferSize) => Sys(SysCall.Read, fd, (long)Buffer, Math.Min(n, BufferSize));

    /// <summary>The bytes the last read returned (call right after it; <paramref name="n"/> is its result).</summary>
    protected byte[] ReadResult(long n) => n > 0 ? LoadBytes(Buffer, (int)n) : [];

    /// <summary>pipe(fds): afterwards <see cref="PipeFds"/> gives (read end, write end).</summary>
    protected Op Pipe() => Sys(SysCall.Pipe, (long)OutArea);

    protected (int Read, int Write) PipeFds => (LoadInt(OutArea), LoadInt(OutArea + 4));

    /// <summary>wait4(pid, &amp;status, options, NULL): afterwards <see cref="WaitStatus"/> is the status.</summary>
    protected Op Wait4(long pid, int options = 0) => Sys(SysCall.Wait4, pid, (long)OutArea, options, 0);

    protected int WaitStatus => LoadInt(OutArea);

    /// <summary>wait4(pid, &amp;status, 0, &amp;rusage): afterwards <see cref="WaitStatus"/> and <see cref="Wait4RusageMicroseconds"/>.</summary>
    protected Op Wait4Rusage(long pid) => Sys(SysCall.Wait4, pid, (long)OutArea, 0, (long)OutArea + 16);

    /// <summary>The waited-for child's (user, system) time in the rusage <see cref="Wait4Rusage"/> copied out.</summary>
    protected (long User, long System) Wait4RusageMicroseconds =>
        (Rusage.ReadMicroseconds(LoadBytes(OutArea + 16, 16)), Rusage.ReadMicroseconds(LoadBytes(OutArea + 32, 16)));

    /// <summary>execve(path, argv, envp): strings and vectors are built in the buffer.</summary>
    protected Op Execve(string path, IReadOnlyList<string> argv, IReadOnlyList<string>? envp = null)
    {
        envp ??= [];
        ulong vector = Buffer;
        ulong strings = vector + (ulong)(argv.Count + envp.Count + 2) * 8;
        ulong at = strings;
        int slot = 0;
        foreach (var list in new[] { argv, envp })
        {
            foreach (var s in list)
            {
                StoreLong(vector + 8 * (ulong)slot++, (long)at);
                at = StoreString(at, s);
            }
            StoreLong(vector + 8 * (ulong)slot++, 0);
        }
        StoreString(at, path);
        return Sys(SysCall.Execve, (long)at, (long)vector, (long)(vector + 8 * (ulong)(argv.Count + 1)));
    }

    /// <summary>_PATH_DEFPATH (paths.h): where execvp looks for a name without a slash.</summary>
    public static readonly string[] DefaultPath = ["/bin", "/usr/bin", "/sbin", "/usr/sbin"];

    /// <summary>
    /// execvp(file, argv): execve of <paramref name="file"/>, or of each <see cref="DefaultPath"/> directory's entry of
    /// that name in turn. Returns only on failure (a frame; afterwards Ret is -1 with the last attempt's errno).
    /// </summary>
    protected Op Execvp(string file, IReadOnlyList<string> argv) => Op.Call(ExecvpFrame(file, argv));

    private IEnumerator<Op> ExecvpFrame(string file, IReadOnlyList<string> argv)
    {
        foreach (var dir in file.Contains('/') ? [""] : DefaultPath)
            yield return Execve(dir.Length == 0 ? file : $"{dir}/{file}", argv);
        _ = Ret;   // sets errno from the last attempt
        yield return Op.Return(Errno);   // with PSTATE.C still set, the caller's Ret reads this as the errno again
    }

    /// <summary>nanosleep for <paramref name="nanoseconds"/> of simulated time.</summary>
    protected Op Nanosleep(long nanoseconds)
    {
        StoreLong(OutArea, nanoseconds / 1_000_000_000);
        StoreLong(OutArea + 8, nanoseconds % 1_000_000_000);
        return Sys(SysCall.Nanosleep, (long)OutArea, 0);
    }

    /// <summary>sigaction(signal, {handler}, NULL) with SIG_DFL or SIG_IGN and flags.</summary>
    protected Op Sigaction(Signal signal, ulong handler, SaFlags flags = SaFlags.None)
    {
        StoreLong(OutArea, (long)handler);
        StoreLong(OutArea + 8, (long)((ulong)(uint)flags << 32));
        return Sys(SysCall.Sigaction, (long)signal, (long)OutArea, 0);
    }

    /// <summary>
    /// sysctl({top, second}, 2, buffer, &amp;len, NULL, 0) with room for 256 bytes; afterwards <see cref="SysctlInt"/>,
    /// <see cref="SysctlQuad"/> or <see cref="SysctlString"/> reads the value (its length is then at OutArea + 8).
    /// </summary>
    protected Op Sysctl(int top, int second)
    {
        StoreLong(OutArea, (long)((ulong)(uint)second << 32 | (uint)top));   // int name[2] = { top, second }
        StoreLong(OutArea + 8, 256);
        return Sys(SysCall.Sysctl, (long)OutArea, 2, (long)Buffer, (long)(OutArea + 8), 0, 0);
    }

    protected int SysctlInt => LoadInt(Buffer);
    protected long SysctlQuad => LoadLong(Buffer);
    protected string SysctlString => LoadString(Buffer);

    /// <summary>clock_gettime(clock): afterwards <see cref="ClockNanoseconds"/> is the time read.</summary>
    protected Op ClockGettime(int clock) => Sys(SysCall.ClockGettime, clock, (long)OutArea);

    protected long ClockNanoseconds => LoadLong(OutArea) * 1_000_000_000 + LoadLong(OutArea + 8);

    /// <summary>CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID (sys/_time.h).</summary>
    protected const int CLOCK_MONOTONIC = 3, CLOCK_PROCESS_CPUTIME_ID = 2;

    /// <summary>
    /// times(3) as OpenBSD's libc builds it: a frame that fills <paramref name="tms"/> (tms_utime, tms_stime,
    /// tms_cutime, tms_cstime in CLK_TCK = 100 ticks a second) from getrusage, and returns the monotonic time in ticks.
    /// </summary>
    protected Op Times(long[] tms) => Op.Call(TimesFrame(tms));

    private IEnumerator<Op> TimesFrame(long[] tms)
    {
        yield return Getrusage(Rusage.RUSAGE_SELF);
        (tms[0], tms[1]) = (RusageMicroseconds.User / 10_000, RusageMicroseconds.System / 10_000);
        yield return Getrusage(Rusage.RUSAGE_CHILDREN);
        (tms[2], tms[3]) = (RusageMicroseconds.User / 10_000, RusageMicroseconds.System / 10_000);
        yield return ClockGettime(CLOCK_MONOTONIC);
        yield return Op.Return(ClockNanoseconds / 10_000_000);
    }

    /// <summary>getrusage(who): afterwards <see cref="RusageMicroseconds"/> gives (user, system) time.</summary>
    protected Op Getrusage(int who) => Sys(SysCall.Getrusage, who, (long)OutArea);

    protected (long User, long System) RusageMicroseconds =>
        (Rusage.ReadMicroseconds(LoadBytes(OutArea, 16)), Rusage.ReadMicroseconds(LoadBytes(OutArea + 16, 16)));

    /// <summary>mmap(NULL, length, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANON, -1, 0).</summary>
    protected static Op MmapAnon(long length) =>
        Sys(SysCall.Mmap, 0, length, 3, (long)(MapFlags.Private | MapFlags.Anon), -1, 0);

    /// <summary>mmap(hint, length, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANON, -1, 0): the kernel places it at or above the hint.</summary>
    protected static Op MmapAnonAt(ulong hint, long length) =>
        Sys(SysCall.Mmap, (long)hint, length, 3, (long)(MapFlags.Private | MapFlags.Anon), -1, 0);

    protected static Op Munmap(ulong addr, long length) => Sys(SysCall.Munmap, (long)addr, length);
}
