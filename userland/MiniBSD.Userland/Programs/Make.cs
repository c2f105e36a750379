using System.Text;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;
using MiniBSD.Userland.Libc;

namespace MiniBSD.Userland.Programs;

/// <summary>
/// make(1), the parallel part of it: <c>make [-j N] [-s] [-f MAKEFILE] [TARGET...]</c> reads rules
/// (<c>target ...: prerequisite ...</c>, then recipe lines that start with a tab; <c>#</c> comments) and builds the
/// targets (default: the first rule's) with up to N jobs at once. MiniBSD has no file times, so every target is out of
/// date (a clean build) and a prerequisite that no rule makes is a source that exists. Each recipe line is echoed
/// (unless -s or a leading @) and run in a child: execvp of its words, or <c>/bin/sh -c LINE</c> when it has shell
/// syntax in it, as BSD make's compat mode does; a target's lines run one after another. A failed line stops make
/// from starting new work: it waits for the running jobs and exits 2 ("*** Error N in TARGET"). The tables are host
/// objects a forked child shares (the fork rule, docs/userland.md): the child only execs, touching none of them.
/// </summary>
public sealed class Make : UserProgram
{
    /// <summary>The makefile used without -f: the kernel build of the build workload.</summary>
    public const string DefaultMakefile = "/usr/src/sys/arch/arm64/compile/GENERIC/Makefile";

    private sealed class Rule(string target)
    {
        public string Target { get; } = target;
        public List<string> Prerequisites { get; } = [];
        public List<string> Recipe { get; } = [];
        public int Line { get; set; }               // the next recipe line to run
        public bool Done { get; set; }
    }

    private readonly Dictionary<string, Rule> _rules = new(StringComparer.Ordinal);
    private readonly List<Rule> _order = [];       // the rules to build, prerequisites first
    private readonly Dictionary<long, Rule> _running = [];
    private bool _silent;

    protected override IEnumerator<Op> Main()
    {
        int jobs = 1;
        string file = DefaultMakefile;
        var goals = new List<string>();
        for (int i = 1; i < Args.Length; i++)
        {
            string a = Args[i];
            if (a == "-s") _silent = true;
            else if (a is "-j" or "-f" && i + 1 < Args.Length)
            {
                if (a == "-f") file = Args[++i];
                else if (!ParseNumber(Args[++i], out long j) || j < 1 || j > 1024) return Fail($"-j {Args[i]}: the number of jobs must be 1 to 1024");
                else jobs = (int)j;
            }
            else if (a.StartsWith('-')) return Fail($"unknown option {a}; usage: make [-j jobs] [-s] [-f makefile] [target ...]");
            else goals.Add(a);
        }
        return Build(file, goals, jobs);
    }

    private IEnumerator<Op> Fail(string message)
    {
        yield return Warnx(message);
        yield return Op.Return(2);
    }

    private IEnumerator<Op> Build(string file, List<string> goals, int jobs)
    {
        yield return Open(file, Fcntl.O_RDONLY);
        long fd = Ret;
        if (fd < 0)
        {
            yield return Warnx($"{file}: {Strerror(Errno)}");
            yield return Op.Return(2);
            yield break;
        }
        var text = new List<byte>();
        yield return ReadAll((int)fd, text);
        yield return Close((int)fd);
        string? problem = Parse(file, Encoding.UTF8.GetString(text.ToArray()), out string? first)
            ?? Order(goals.Count > 0 ? goals : first is null ? [] : [first]);
        if (problem is not null)
        {
            yield return Warnx(problem);
            yield return Op.Return(2);
            yield break;
        }
        yield return Op.Call(RunJobs(jobs));
        yield return Op.Return(Result);
    }

    private int Result { get; set; }

    /// <summary>Reads the rules; an error names the file and line.</summary>
    private string? Parse(string file, string text, out string? first)
    {
        first = null;
        Rule? current = null;
        var lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n].TrimEnd('\r');
            if (line.StartsWith('\t'))
            {
                if (current is null) return $"{file}:{n + 1}: a recipe line before any rule";
                if (line.Trim().Length > 0) current.Recipe.Add(line[1..]);
                continue;
            }
            int hash = line.IndexOf('#');
            if (hash >= 0) line = line[..hash];
            if (line.Trim().Length == 0) continue;
            int colon = line.IndexOf(':');
            if (colon < 0) return $"{file}:{n + 1}: not a rule (target: prerequisites)";
            var targets = line[..colon].Split(Blanks, StringSplitOptions.RemoveEmptyEntries);
            if (targets.Length != 1) return $"{file}:{n + 1}: one target a rule";
            if (_rules.ContainsKey(targets[0])) return $"{file}:{n + 1}: a second rule for {targets[0]}";
            current = new Rule(targets[0]);
            current.Prerequisites.AddRange(line[(colon + 1)..].Split(Blanks, StringSplitOptions.RemoveEmptyEntries));
            _rules.Add(current.Target, current);
            first ??= current.Target;
        }
        return first is null ? $"{file}: no targets" : null;
    }

    /// <summary>Depth-first from the goals: every rule they need, each after its prerequisites; a cycle is an error.</summary>
    private string? Order(IReadOnlyList<string> goals)
    {
        var state = new Dictionary<string, bool>(StringComparer.Ordinal);   // false: being visited, true: ordered
        string? Visit(string name, string? from)
        {
            if (!_rules.TryGetValue(name, out var rule))
                return from is null ? $"don't know how to make {name}" : null;   // a source file
            if (state.TryGetValue(name, out bool done)) return done ? null : $"a cycle in the dependencies of {name}";
            state[name] = false;
            foreach (var pre in rule.Prerequisites)
                if (Visit(pre, name) is { } problem) return problem;
            state[name] = true;
            _order.Add(rule);
            return null;
        }
        foreach (var goal in goals)
            if (Visit(goal, null) is { } problem) return problem;
        return null;
    }

    private bool Ready(Rule r) =>
        !r.Done && !_running.ContainsValue(r) && r.Prerequisites.All(p => !_rules.TryGetValue(p, out var pre) || pre.Done);

    /// <summary>Keeps up to <paramref name="jobs"/> recipe lines running until every rule is done or one fails.</summary>
    private IEnumerator<Op> RunJobs(int jobs)
    {
        bool failed = false;
        while (true)
        {
            while (!failed && _running.Count < jobs && _order.FirstOrDefault(Ready) is { } next)
            {
                if (next.Recipe.Count == 0)
                {
                    next.Done = true;
                    continue;
                }
                yield return Op.Call(Start(next));
                if (Ret < 0) failed = true;
            }
            if (_running.Count == 0) break;
            yield return Wait4(-1);
            long pid = Ret;
            if (pid < 0 || !_running.Remove(pid, out var rule)) continue;
            int status = WaitStatus;
            if (status != 0)
            {
                int code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : status & 0x7f;
                yield return Print(2, $"*** {((status & 0x7f) == 0 ? "Error" : "Signal")} {code} in {rule.Target}\n");
                failed = true;
                continue;
            }
            if (++rule.Line == rule.Recipe.Count) rule.Done = true;
            else if (!failed)
            {
                yield return Op.Call(Start(rule));
                if (Ret < 0) failed = true;
            }
        }
        Result = failed || _order.Any(r => !r.Done) ? 2 : 0;
        yield return Op.Return(Result);
    }

    /// <summary>Forks the child for <paramref name="rule"/>'s next recipe line (Ret: its pid, or -1).</summary>
    private IEnumerator<Op> Start(Rule rule)
    {
        string line = rule.Recipe[rule.Line];
        bool quiet = _silent || line.StartsWith('@');
        line = line.TrimStart('@', ' ');
        if (!quiet) yield return Printf(line + "\n");
        yield return Fork();
        long pid = Ret;
        if (pid < 0)
        {
            yield return Warnx($"fork: {Strerror(Errno)}");
            yield return Op.Return(-1);
            yield break;
        }
        if (pid == 0)
        {
            bool shell = line.IndexOfAny(ShellChars) >= 0;
            string[] argv = shell ? ["sh", "-c", line] : line.Split(Blanks, StringSplitOptions.RemoveEmptyEntries);
            yield return Execvp(shell ? "/bin/sh" : argv[0], argv);
            yield return Print(2, $"make: {argv[0]}: {(Errno == (int)Kernel.Abi.Errno.ENOENT ? "not found" : Strerror(Errno))}\n");
            yield return Exit(127);
        }
        _running.Add(pid, rule);
        yield return Op.Return(pid);
    }

    private static readonly char[] Blanks = [' ', '\t'];

    /// <summary>What makes BSD make hand a line to the shell (its meta characters).</summary>
    private static readonly System.Buffers.SearchValues<char> ShellChars = System.Buffers.SearchValues.Create("#=|^(){};&<>*?[]:$`\\\"'~\n");
}
