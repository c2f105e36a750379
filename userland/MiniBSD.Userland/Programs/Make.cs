using System.Text;
using MiniBSD.Kernel.Abi;
using MiniBSD.Kernel.Kern;
using MiniBSD.Userland.Libc;

namespace MiniBSD.Userland.Programs;

/// <summary>
/// make(1), the parallel part of it: <c>make [-j N] [-s] [-f MAKEFILE] [TARGET...]</c> reads rules
/// (<c>target ...: prerequisite ...</c>, then recipe lines that start with a tab; <c>#</c> comments; <c>-f -</c> reads
/// standard input) and builds the targets (default: the first rule's) with up to N jobs at once. MiniBSD has no file
/// times, so every target is out of date (a clean build) and a prerequisite that no rule makes is a source that exists.
/// Each recipe line is echoed (unless -s or a leading @) and run in a child: execvp of its words, or
/// <c>/bin/sh -ec LINE</c> when it has shell syntax in it, as OpenBSD make's run_command does (engine.c); the special
/// target <c>.SHELL: path=PATH</c> (BSD make's) names another shell. A target's lines run one after another. A failed
/// line stops make from starting new work: it waits for the running jobs and exits 2 ("*** Error N in TARGET"). Like
/// BSD make, each rule counts its unmade prerequisites and joins the queue of buildable targets when the count reaches
/// zero. Its tables are kept in its own memory as make's GNodes and lists are (<see cref="TableBytes"/>), so a fork
/// copies an address space of a real make's size; the child only execs, touching none of it.
/// </summary>
public sealed class Make : WorkloadProgram
{
    /// <summary>The makefile used without -f: the kernel build of the build workload.</summary>
    public const string DefaultMakefile = "/usr/src/sys/arch/arm64/compile/GENERIC/Makefile";

    /// <summary>
    /// What make's tables take in its memory: a GNode a target (OpenBSD make's struct GNode, its lists and its name,
    /// about 256 bytes on LP64) and a list element a prerequisite (about 32 bytes).
    /// </summary>
    public const int BytesPerTarget = 256, BytesPerPrerequisite = 32;

    private sealed class Rule(string target)
    {
        public string Target { get; } = target;
        public List<string> Prerequisites { get; } = [];
        public List<string> Recipe { get; } = [];
        public List<Rule> Parents { get; } = [];    // the rules waiting for this one
        public int Unmade { get; set; }             // prerequisites with a rule, not built yet
        public int Line { get; set; }               // the next recipe line to run
        public bool Done { get; set; }
    }

    private readonly Dictionary<string, Rule> _rules = new(StringComparer.Ordinal);
    private readonly List<Rule> _order = [];       // the rules to build, prerequisites first
    private readonly Queue<Rule> _buildable = new();
    private readonly Dictionary<long, Rule> _running = [];
    private bool _silent;
    private string _shell = "/bin/sh";

    /// <summary>The bytes of the tables make holds after reading the makefile.</summary>
    private long TableBytes { get; set; }

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
        long fd = 0;
        if (file != "-")
        {
            yield return Open(file, Fcntl.O_RDONLY);
            fd = Ret;
        }
        if (fd < 0)
        {
            yield return Warnx($"{file}: {Strerror(Errno)}");
            yield return Op.Return(2);
            yield break;
        }
        var text = new List<byte>();
        yield return ReadAll((int)fd, text);
        if (fd > 0) yield return Close((int)fd);
        string? problem = Parse(file == "-" ? "(stdin)" : file, Encoding.UTF8.GetString(text.ToArray()), out string? first)
            ?? Order(goals.Count > 0 ? goals : first is null ? [] : [first]);
        if (problem is not null)
        {
            yield return Warnx(problem);
            yield return Op.Return(2);
            yield break;
        }
        yield return Op.Call(Work((TableBytes + 4095) / 4096, 0));   // make's mallocs fill its tables
        if (WorkFailed)
        {
            yield return Warnx($"cannot allocate its tables: {Strerror(Errno)}");
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
            if (targets[0] == ".SHELL")
            {
                string? path = line[(colon + 1)..].Split(Blanks, StringSplitOptions.RemoveEmptyEntries)
                    .FirstOrDefault(w => w.StartsWith("path=", StringComparison.Ordinal))?["path=".Length..];
                if (string.IsNullOrEmpty(path)) return $"{file}:{n + 1}: .SHELL needs path=PATH";
                _shell = path;
                current = null;
                continue;
            }
            if (_rules.ContainsKey(targets[0])) return $"{file}:{n + 1}: a second rule for {targets[0]}";
            current = new Rule(targets[0]);
            current.Prerequisites.AddRange(line[(colon + 1)..].Split(Blanks, StringSplitOptions.RemoveEmptyEntries));
            _rules.Add(current.Target, current);
            TableBytes += BytesPerTarget + BytesPerPrerequisite * current.Prerequisites.Count;
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
            {
                if (Visit(pre, name) is { } problem) return problem;
                if (!_rules.TryGetValue(pre, out var made) || made.Parents.Contains(rule)) continue;
                made.Parents.Add(rule);
                rule.Unmade++;
            }
            state[name] = true;
            _order.Add(rule);
            if (rule.Unmade == 0) _buildable.Enqueue(rule);
            return null;
        }
        foreach (var goal in goals)
            if (Visit(goal, null) is { } problem) return problem;
        return null;
    }

    /// <summary>A rule is built: the rules that waited for it and wait for nothing else now can be.</summary>
    private void Made(Rule rule)
    {
        rule.Done = true;
        foreach (var parent in rule.Parents)
            if (--parent.Unmade == 0) _buildable.Enqueue(parent);
    }

    /// <summary>Keeps up to <paramref name="jobs"/> recipe lines running until every rule is done or one fails.</summary>
    private IEnumerator<Op> RunJobs(int jobs)
    {
        bool failed = false;
        while (true)
        {
            while (!failed && _running.Count < jobs && _buildable.TryDequeue(out var next))
            {
                if (next.Recipe.Count == 0)
                {
                    Made(next);
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
            if (++rule.Line == rule.Recipe.Count) Made(rule);
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
            string[] argv = shell ? [_shell[(_shell.LastIndexOf('/') + 1)..], "-ec", line] : line.Split(Blanks, StringSplitOptions.RemoveEmptyEntries);
            yield return Execvp(shell ? _shell : argv[0], argv);
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
