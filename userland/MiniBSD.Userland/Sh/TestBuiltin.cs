using System.Globalization;

namespace MiniBSD.Userland.Sh;

/// <summary>
/// test(1) and [ (XCU test): ! , -n -z, string = != , integer -eq -ne -lt -le -gt -ge, -a -o, ( ), by the number of
/// arguments as POSIX specifies for up to four, and left to right beyond. File tests (-e -f -d -r -w -x -s) look the
/// path up in the registry. Returns 0 true, 1 false, 2 with a message on error.
/// </summary>
public sealed class TestBuiltin(Func<string, bool> exists, Func<string, bool> isDirectory)
{
    public (int Status, string? Error) Run(IReadOnlyList<string> args)
    {
        try
        {
            _args = args;
            _pos = 0;
            if (args.Count == 0) return (1, null);
            bool v = Or();
            if (_pos != args.Count) return (2, $"test: unexpected argument \"{args[_pos]}\"");
            return (v ? 0 : 1, null);
        }
        catch (FormatException e)
        {
            return (2, "test: " + e.Message);
        }
    }

    private IReadOnlyList<string> _args = [];
    private int _pos;

    private string? Peek(int k = 0) => _pos + k < _args.Count ? _args[_pos + k] : null;

    private bool Or()
    {
        bool v = And();
        while (Peek() == "-o") { _pos++; v = And() | v; }
        return v;
    }

    private bool And()
    {
        bool v = Not();
        while (Peek() == "-a") { _pos++; v = Not() & v; }
        return v;
    }

    private bool Not()
    {
        if (Peek() == "!" && Peek(1) is not null) { _pos++; return !Not(); }
        return Primary();
    }

    private static readonly HashSet<string> Binaries = ["=", "!=", "-eq", "-ne", "-lt", "-le", "-gt", "-ge"];

    private bool Primary()
    {
        string a = Peek() ?? throw new FormatException("argument expected");
        if (Peek(1) is { } op && Binaries.Contains(op) && Peek(2) is { } b)
        {
            _pos += 3;
            return Compare(a, op, b);
        }
        if (a == "(" && Peek(2) == ")") { _pos++; bool v = Or(); _pos++; return v; }
        if (a.Length == 2 && a[0] == '-' && Peek(1) is { } operand && "nzefdrwxs".Contains(a[1]))
        {
            _pos += 2;
            return a[1] switch
            {
                'n' => operand.Length > 0,
                'z' => operand.Length == 0,
                'd' => isDirectory(operand),
                _ => exists(operand),
            };
        }
        _pos++;
        return a.Length > 0;
    }

    private static bool Compare(string a, string op, string b)
    {
        if (op is "=" or "!=") return (a == b) == (op == "=");
        long x = Integer(a), y = Integer(b);
        return op switch
        {
            "-eq" => x == y, "-ne" => x != y, "-lt" => x < y, "-le" => x <= y, "-gt" => x > y, _ => x >= y,
        };
    }

    private static long Integer(string s) =>
        long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)
            ? v : throw new FormatException($"{s}: bad number");
}
