using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;
using MiniBSD.Userland.Libc;

namespace MiniBSD.Userland.Programs;

/// <summary>
/// time(1) as OpenBSD's usr.bin/time/time.c does it: fork, the child execvp()s the command, the parent's wait4 takes
/// the child's struct rusage, and three figures go to standard error, the real time from CLOCK_MONOTONIC and the user
/// and system time of the rusage (statclock's ticks: what the command and every process it waited for were charged).
/// The exit status is the command's; 128 + the signal if a signal ended it; 127 if it could not be run.
/// </summary>
public sealed class TimeCommand : UserProgram
{
    protected override IEnumerator<Op> Main()
    {
        if (Args.Length < 2)
        {
            yield return Print(2, "usage: time utility [argument ...]\n");
            yield return Op.Return(1);
            yield break;
        }
        yield return ClockGettime(CLOCK_MONOTONIC);
        long start = ClockNanoseconds;
        yield return Fork();
        long pid = Ret;
        if (pid < 0)
        {
            yield return Print(2, $"time: fork: {Strerror(Errno)}\n");
            yield return Op.Return(1);
            yield break;
        }
        if (pid == 0)
        {
            yield return Execvp(Args[1], Args[1..]);
            yield return Print(2, $"time: {Args[1]}: {Strerror(Errno)}\n");
            yield return Exit(127);
        }
        yield return Wait4Rusage(pid);
        int status = WaitStatus;
        var (user, sys) = Wait4RusageMicroseconds;
        yield return ClockGettime(CLOCK_MONOTONIC);
        long real = ClockNanoseconds - start;
        yield return Print(2, Line(real / 1_000, user, sys));
        yield return Op.Return(Wait.IfExited(status) ? Wait.ExitStatus(status) : 128 + (int)Wait.TermSig(status));
    }

    /// <summary>time.c's format: "%9lld.%02ld real %9lld.%02ld user %9lld.%02ld sys" (hundredths, truncated).</summary>
    public static string Line(long realUs, long userUs, long sysUs) =>
        $"{Field(realUs)} real {Field(userUs)} user {Field(sysUs)} sys\n";

    private static string Field(long us) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{us / 1_000_000,9}.{us % 1_000_000 / 10_000:D2}");
}
