using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;
using MiniBSD.Userland.Libc;

namespace MiniBSD.Userland.Programs;

/// <summary>
/// init(8), single-user style: opens /dev/console as descriptors 0, 1 and 2, runs /etc/rc (or the script named by
/// its argument) with /bin/sh, reaps
/// every orphan, and when no process is left halts the machine with reboot(2), handing over rc's exit status
/// (a MiniBSD addition, so that `minibsd run` exits with it).
/// </summary>
public sealed class Init : UserProgram
{
    protected override IEnumerator<Op> Main()
    {
        yield return Open("/dev/console", Fcntl.O_RDWR);
        yield return Dup(0);
        yield return Dup(0);
        yield return Fork();
        long rc = Ret;
        if (rc == 0)
        {
            yield return Execve("/bin/sh", ["sh", Args.Length > 1 ? Args[1] : "/etc/rc"]);
            yield return Print(2, $"init: /bin/sh: {Strerror(Errno)}\n");
            yield return Exit(127);
        }
        int rcStatus = 0;
        while (true)
        {
            yield return Wait4(-1);
            long pid = Ret;
            if (pid < 0) break;   // ECHILD: nothing left
            if (pid == rc) rcStatus = WaitStatus;
        }
        int exit = Wait.IfExited(rcStatus) ? Wait.ExitStatus(rcStatus) : 128 + (int)Wait.TermSig(rcStatus);
        yield return Sys(SysCall.Reboot, 0x8 /* RB_HALT */, exit);
        yield return Op.Return(0);
    }
}
