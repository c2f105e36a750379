using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Userland.Sh;

/// <summary>Running the parsed script: lists, and-or lists, pipelines, commands (each a frame returning its status).</summary>
public sealed partial class Shell
{
    private IEnumerator<Op> RunScript(Script script)
    {
        foreach (var item in script.Items)
        {
            if (!item.Background)
            {
                yield return Op.Call(RunAndOr(item.Command));
                _status = Result;
                continue;
            }
            yield return Fork();
            long pid = Ret;
            if (pid == 0)
            {
                // XCU 2.9.3.1: without job control, an asynchronous list's standard input is /dev/null.
                yield return Open("/dev/null", Fcntl.O_RDONLY);
                long devNull = Ret;
                if (devNull > 0)
                {
                    yield return Dup2((int)devNull, 0);
                    yield return Close((int)devNull);
                }
                yield return Op.Call(RunInThisProcess(item.Command));
                yield return Exit(Result);
            }
            if (pid < 0) yield return Op.Call(CannotFork());
            _lastBackground = pid;
            _status = 0;
        }
        yield return Op.Return(_status);
    }

    /// <summary>
    /// An and-or list in a process that exists only to run it (a background job, sh -c): a lone simple command is
    /// exec'd in place, without another fork, as dash does, so $! (or the sh -c process) is the command itself and
    /// a signal sent to it reaches the command.
    /// </summary>
    private IEnumerator<Op> RunInThisProcess(AndOr list)
    {
        bool lone = list.Pipelines is [{ Negated: false, Commands: [SimpleCommand] }];
        yield return Op.Call(lone ? RunCommand(list.Pipelines[0].Commands[0], forked: true) : RunAndOr(list));
        yield return Op.Return(Result);
    }

    /// <summary>
    /// An and-or list. Under -e (XCU 2.14 set -e) the shell exits when the list's last pipeline ran and failed, unless
    /// it is negated or the list is itself a condition; the pipelines before an && or || never trigger it.
    /// </summary>
    private IEnumerator<Op> RunAndOr(AndOr list)
    {
        if (list.Ops.Count > 0) _conditionDepth++;
        yield return Op.Call(RunPipeline(list.Pipelines[0]));
        int status = Result, last = 0;
        for (int i = 0; i < list.Ops.Count; i++)
        {
            if ((list.Ops[i] == "&&") != (status == 0)) continue;
            if (i == list.Ops.Count - 1) _conditionDepth--;
            yield return Op.Call(RunPipeline(list.Pipelines[i + 1]));
            if (i == list.Ops.Count - 1) _conditionDepth++;
            status = Result;
            last = i + 1;
        }
        if (list.Ops.Count > 0) _conditionDepth--;
        if (status != 0 && _errexit && _conditionDepth == 0 && last == list.Ops.Count && !list.Pipelines[last].Negated)
            yield return Exit(status);
        yield return Op.Return(status);
    }

    private IEnumerator<Op> RunPipeline(Pipeline pipeline)
    {
        int status;
        if (pipeline.Negated) _conditionDepth++;
        if (pipeline.Commands.Count == 1)
        {
            yield return Op.Call(RunCommand(pipeline.Commands[0], forked: false));
            status = Result;
        }
        else
        {
            yield return Op.Call(RunPipe(pipeline.Commands));
            status = Result;
        }
        if (pipeline.Negated) _conditionDepth--;
        _status = pipeline.Negated ? (status == 0 ? 1 : 0) : status;
        yield return Op.Return(_status);
    }

    /// <summary>cmd1 | cmd2 | ...: n-1 pipes, a child per command, then a wait for each; the status is the last one's.</summary>
    private IEnumerator<Op> RunPipe(IReadOnlyList<Command> commands)
    {
        var fds = new int[(commands.Count - 1) * 2];
        for (int i = 0; i < commands.Count - 1; i++)
        {
            yield return Pipe();
            if (Ret < 0)
            {
                yield return Print(2, $"sh: pipe: {Strerror(Errno)}\n");
                yield return Op.Return(2);
                yield break;
            }
            (fds[2 * i], fds[2 * i + 1]) = PipeFds;
        }
        var pids = new long[commands.Count];
        for (int i = 0; i < commands.Count; i++)
        {
            yield return Fork();
            pids[i] = Ret;
            if (pids[i] < 0) yield return Op.Call(CannotFork());
            if (pids[i] != 0) continue;
            if (i > 0) yield return Dup2(fds[2 * (i - 1)], 0);
            if (i < commands.Count - 1) yield return Dup2(fds[2 * i + 1], 1);
            foreach (int fd in fds) yield return Close(fd);
            yield return Op.Call(RunCommand(commands[i], forked: true));
            yield return Exit(Result);
        }
        foreach (int fd in fds) yield return Close(fd);
        int status = 0;
        foreach (long pid in pids)
        {
            if (pid < 0) { status = 2; continue; }
            yield return Wait4(pid);
            status = StatusOf(WaitStatus);
        }
        yield return Op.Return(status);
    }

    /// <summary>A command in this shell process; <paramref name="forked"/>: this process exists only to run it (a simple command may exec at once).</summary>
    private IEnumerator<Op> RunCommand(Command command, bool forked)
    {
        if (command is SimpleCommand simple)
        {
            yield return Op.Call(RunSimple(simple, forked));
            yield return Op.Return(Result);
            yield break;
        }
        if (command is GroupCommand { Subshell: true } && !forked)
        {
            yield return Fork();
            long pid = Ret;
            if (pid < 0) yield return Op.Call(CannotFork());
            if (pid == 0)
            {
                yield return Op.Call(RunCommand(command, forked: true));
                yield return Exit(Result);
            }
            yield return Wait4(pid);
            yield return Op.Return(StatusOf(WaitStatus));
            yield break;
        }
        var saves = new List<(int Fd, int Saved)>();
        yield return Op.Call(Redirect(command.Redirections, saves));
        int status = Result;
        if (status == 0)
        {
            yield return Op.Call(command switch
            {
                GroupCommand g => RunScript(g.Body),
                IfCommand i => RunIf(i),
                WhileCommand w => RunWhile(w),
                ForCommand f => RunFor(f),
                _ => throw new InvalidOperationException(command.GetType().Name),
            });
            status = Result;
        }
        yield return Op.Call(Restore(saves));
        yield return Op.Return(status);
    }

    private IEnumerator<Op> RunIf(IfCommand command)
    {
        foreach (var (condition, body) in command.Branches)
        {
            _conditionDepth++;
            yield return Op.Call(RunScript(condition));
            _conditionDepth--;
            if (Result != 0) continue;
            yield return Op.Call(RunScript(body));
            yield return Op.Return(Result);
            yield break;
        }
        if (command.Else is { } otherwise)
        {
            yield return Op.Call(RunScript(otherwise));
            yield return Op.Return(Result);
            yield break;
        }
        yield return Op.Return(0);
    }

    private IEnumerator<Op> RunWhile(WhileCommand command)
    {
        int status = 0;
        while (true)
        {
            _conditionDepth++;
            yield return Op.Call(RunScript(command.Condition));
            _conditionDepth--;
            if ((Result == 0) == command.Until) break;
            yield return Op.Call(RunScript(command.Body));
            status = Result;
        }
        yield return Op.Return(status);
    }

    private IEnumerator<Op> RunFor(ForCommand command)
    {
        var words = new List<string>();
        if (command.Words is null) words.AddRange(_positional);
        else yield return Op.Call(ExpandWords(command.Words, words));
        int status = 0;
        foreach (var w in words)
        {
            SetVar(command.Name, w);
            yield return Op.Call(RunScript(command.Body));
            status = Result;
        }
        yield return Op.Return(status);
    }

    /// <summary>A simple command: expand, then assignments only, a builtin, or fork + exec + wait.</summary>
    private IEnumerator<Op> RunSimple(SimpleCommand command, bool forked)
    {
        _substStatus = -1;
        var fields = new List<string>();
        yield return Op.Call(ExpandWords(command.Words, fields));
        var assignments = new List<(string, string)>();
        foreach (var (name, value) in command.Assignments)
        {
            yield return Op.Call(ExpandString(value));
            assignments.Add((name, _expanded));
        }
        if (!HostSet(HostBytes(fields, assignments))) yield return Op.Call(ChargeOrDie(HostBytes(fields, assignments)));
        if (fields.Count == 0 || IsBuiltin(fields[0]))
        {
            foreach (var (n, v) in assignments) SetVar(n, v);
            var saves = new List<(int, int)>();
            yield return Op.Call(Redirect(command.Redirections, saves));
            int status = Result;
            if (status == 0 && fields.Count > 0)
            {
                yield return Op.Call(RunBuiltin(fields));
                status = Result;
            }
            else if (status == 0 && _substStatus >= 0) status = _substStatus;
            yield return Op.Call(Restore(saves));
            yield return Op.Return(status);
            yield break;
        }
        if (forked)
        {
            yield return Op.Call(ExecCommand(fields, assignments, command.Redirections));
            yield break;   // not reached: it execs or exits
        }
        yield return Fork();
        long pid = Ret;
        if (pid == 0) yield return Op.Call(ExecCommand(fields, assignments, command.Redirections));
        if (pid < 0) yield return Op.Call(CannotFork());
        yield return Wait4(pid);
        int ws = WaitStatus;
        if (SignalMessage(ws) is { } message) yield return Print(2, message + "\n");
        yield return Op.Return(StatusOf(ws));
    }

    /// <summary>In the child: redirections, then execve along PATH; 127 for a command not found, 126 when it cannot run.</summary>
    private IEnumerator<Op> ExecCommand(List<string> fields, List<(string, string)> assignments, IReadOnlyList<Redirection> redirections)
    {
        yield return Op.Call(Redirect(redirections, null));
        if (Result != 0) yield return Exit(RedirectionFailed);
        string name = fields[0];
        var env = Environment(assignments);
        var candidates = name.Contains('/') ? [name] : (GetVar("PATH") ?? "").Split(':').Select(d => $"{d}/{name}").ToList();
        int error = (int)Kernel.Abi.Errno.ENOENT;
        foreach (var path in candidates)
        {
            yield return Execve(path, fields, env);
            if (Ret < 0 && Errno != (int)Kernel.Abi.Errno.ENOENT) error = Errno;
        }
        if (error == (int)Kernel.Abi.Errno.ENOENT)
        {
            yield return Print(2, $"sh: {name}: not found\n");
            yield return Exit(127);
        }
        yield return Print(2, $"sh: {name}: {Strerror(error)}\n");
        yield return Exit(126);
    }

    /// <summary>The status of a command whose redirection failed (dash's; XCU 2.8.1 asks only for non-zero).</summary>
    private const int RedirectionFailed = 2;

    /// <summary>Applies redirections in order; with <paramref name="saves"/>, first keeps each descriptor it replaces (fd 10 and up) for <see cref="Restore"/>.</summary>
    private IEnumerator<Op> Redirect(IReadOnlyList<Redirection> redirections, List<(int Fd, int Saved)>? saves)
    {
        foreach (var r in redirections)
        {
            yield return Op.Call(ExpandString(r.Target));
            string target = _expanded;
            if (saves is not null)
            {
                int slot = 10 + saves.Count;
                yield return Dup2(r.Fd, slot);
                saves.Add((r.Fd, Ret < 0 ? -1 : slot));
            }
            if (r.Op is ">&" or "<&")
            {
                if (target == "-") { yield return Close(r.Fd); continue; }
                if (!ParseNumber(target, out long from))
                {
                    yield return Print(2, $"sh: {target}: bad file descriptor\n");
                    yield return Op.Return(RedirectionFailed);
                    yield break;
                }
                yield return Dup2((int)from, r.Fd);
                if (Ret < 0)
                {
                    yield return Print(2, $"sh: {from}: {Strerror(Errno)}\n");
                    yield return Op.Return(RedirectionFailed);
                    yield break;
                }
                continue;
            }
            int flags = r.Op switch
            {
                "<" => Fcntl.O_RDONLY,
                ">>" => Fcntl.O_WRONLY | Fcntl.O_CREAT | Fcntl.O_APPEND,
                _ => Fcntl.O_WRONLY | Fcntl.O_CREAT | Fcntl.O_TRUNC,
            };
            yield return Open(target, flags);
            long fd = Ret;
            if (fd < 0)
            {
                string what = r.Op == "<" ? "cannot open" : "cannot create";
                yield return Print(2, $"sh: {what} {target}: {Strerror(Errno)}\n");
                yield return Op.Return(RedirectionFailed);
                yield break;
            }
            if (fd != r.Fd)
            {
                yield return Dup2((int)fd, r.Fd);
                yield return Close((int)fd);
            }
        }
        yield return Op.Return(0);
    }

    /// <summary>Puts back what <see cref="Redirect"/> saved, last first.</summary>
    private IEnumerator<Op> Restore(List<(int Fd, int Saved)> saves)
    {
        for (int i = saves.Count - 1; i >= 0; i--)
        {
            var (fd, saved) = saves[i];
            if (saved < 0) { yield return Close(fd); continue; }
            yield return Dup2(saved, fd);
            yield return Close(saved);
        }
        yield return Op.Return(0);
    }

    /// <summary>
    /// fork failed (EAGAIN at maxproc, ENOMEM): dash's sh_error("Cannot fork"), and an error of the shell ends a
    /// non-interactive shell with status 2 (XCU 2.8.1), so a fork loop stops instead of printing the error forever.
    /// Does not return.
    /// </summary>
    private IEnumerator<Op> CannotFork()
    {
        yield return Print(2, $"sh: cannot fork: {Strerror(Errno)}\n");
        yield return Exit(2);
    }

    /// <summary>
    /// The host memory the shell holds with this command's words expanded (UTF-16: two bytes a character): the
    /// variables, the positional parameters, the expanded fields and assignments.
    /// </summary>
    private long HostBytes(List<string> fields, List<(string Name, string Value)> assignments)
    {
        long chars = 0;
        foreach (var (name, value) in _vars) chars += name.Length + value.Length;
        foreach (var p in _positional) chars += p.Length;
        foreach (var f in fields) chars += f.Length;
        foreach (var (name, value) in assignments) chars += name.Length + value.Length;
        return 2 * chars;
    }

    /// <summary>Charges <paramref name="bytes"/> in all; when the machine has no memory for them, "sh: out of memory" and exit 2 (dash's "Out of space"). Returns only on success.</summary>
    private IEnumerator<Op> ChargeOrDie(long bytes)
    {
        yield return HostCharge(bytes - HostHeld);
        if (Result >= 0) yield break;
        yield return Print(2, "sh: out of memory\n");
        yield return Exit(2);
    }
}
