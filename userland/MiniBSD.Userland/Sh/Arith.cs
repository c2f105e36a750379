using System.Globalization;

namespace MiniBSD.Userland.Sh;

/// <summary>An arithmetic expansion error ("division by zero", "syntax error").</summary>
public sealed class ArithException(string message) : Exception(message);

/// <summary>
/// $((...)) evaluation (XCU 2.6.4): signed 64-bit integers, decimal/octal/hex constants, variables by name (unset or
/// empty is 0), unary + - ! ~, * / %, + -, &lt;&lt; &gt;&gt;, comparisons, == !=, &amp; ^ |, &amp;&amp; ||, ?:,
/// parentheses and assignments (= += -= *= /= %=).
/// </summary>
public sealed class Arith
{
    private readonly string _s;
    private readonly Func<string, string?> _get;
    private readonly Action<string, string> _set;
    private int _pos;

    private Arith(string s, Func<string, string?> get, Action<string, string> set) => (_s, _get, _set) = (s, get, set);

    public static long Evaluate(string expression, Func<string, string?> get, Action<string, string> set)
    {
        var a = new Arith(expression, get, set);
        a.Skip();
        if (a._pos >= a._s.Length) return 0;
        long v = a.Ternary(true);
        a.Skip();
        if (a._pos < a._s.Length) throw new ArithException($"syntax error: \"{a._s[a._pos..].Trim()}\"");
        return v;
    }

    private void Skip()
    {
        while (_pos < _s.Length && char.IsWhiteSpace(_s[_pos])) _pos++;
    }

    private bool Eat(string op)
    {
        Skip();
        if (string.CompareOrdinal(_s, _pos, op, 0, op.Length) != 0) return false;
        // a one-character operator must not be the start of a longer one
        if (op.Length == 1 && _pos + 1 < _s.Length && (op + _s[_pos + 1]) is "&&" or "||" or "<<" or ">>" or "<=" or ">=" or "==" or "!=" or "+=" or "-=" or "*=" or "/=" or "%=")
            return false;
        _pos += op.Length;
        return true;
    }

    private long Ternary(bool live)
    {
        long c = Binary(0, live);
        if (!Eat("?")) return c;
        long a = Ternary(live && c != 0);
        if (!Eat(":")) throw new ArithException("syntax error: expected \":\"");
        long b = Ternary(live && c == 0);
        return c != 0 ? a : b;
    }

    private static readonly string[][] Levels =
    [
        ["||"], ["&&"], ["|"], ["^"], ["&"], ["==", "!="], ["<=", ">=", "<", ">"], ["<<", ">>"], ["+", "-"], ["*", "/", "%"],
    ];

    private long Binary(int level, bool live)
    {
        if (level == Levels.Length) return Unary(live);
        long left = Binary(level + 1, live);
        while (true)
        {
            string? op = Levels[level].FirstOrDefault(Eat);
            if (op is null) return left;
            bool rightLive = live && !(op == "&&" && left == 0) && !(op == "||" && left != 0);
            long right = Binary(level + 1, rightLive);
            left = Apply(op, left, right, rightLive);
        }
    }

    private static long Apply(string op, long a, long b, bool live) => op switch
    {
        "||" => a != 0 || b != 0 ? 1 : 0,
        "&&" => a != 0 && b != 0 ? 1 : 0,
        "|" => a | b, "^" => a ^ b, "&" => a & b,
        "==" => a == b ? 1 : 0, "!=" => a != b ? 1 : 0,
        "<" => a < b ? 1 : 0, ">" => a > b ? 1 : 0, "<=" => a <= b ? 1 : 0, ">=" => a >= b ? 1 : 0,
        "<<" => a << (int)b, ">>" => a >> (int)b,
        "+" => a + b, "-" => a - b, "*" => a * b,
        "/" or "%" when b == 0 && live => throw new ArithException("division by zero"),
        "/" => b == 0 ? 0 : a / b,
        _ => b == 0 ? 0 : a % b,
    };

    private long Unary(bool live)
    {
        if (Eat("!")) return Unary(live) == 0 ? 1 : 0;
        if (Eat("~")) return ~Unary(live);
        if (Eat("-")) return -Unary(live);
        if (Eat("+")) return Unary(live);
        return Primary(live);
    }

    private long Primary(bool live)
    {
        Skip();
        if (Eat("("))
        {
            long v = Ternary(live);
            if (!Eat(")")) throw new ArithException("syntax error: expected \")\"");
            return v;
        }
        int start = _pos;
        if (_pos < _s.Length && (char.IsAsciiLetter(_s[_pos]) || _s[_pos] == '_'))
        {
            while (_pos < _s.Length && (char.IsAsciiLetterOrDigit(_s[_pos]) || _s[_pos] == '_')) _pos++;
            string name = _s[start.._pos];
            foreach (var op in new[] { "+=", "-=", "*=", "/=", "%=", "=" })
            {
                if (!Eat(op)) continue;
                long rhs = Ternary(live);
                long value = op == "=" ? rhs : Apply(op[..1], Variable(name), rhs, live);
                if (live) _set(name, value.ToString(CultureInfo.InvariantCulture));
                return value;
            }
            return Variable(name);
        }
        while (_pos < _s.Length && char.IsAsciiLetterOrDigit(_s[_pos])) _pos++;
        if (start == _pos) throw new ArithException(_pos < _s.Length ? $"syntax error: \"{_s[_pos..].Trim()}\"" : "syntax error: expression expected");
        return Constant(_s[start.._pos]);
    }

    private long Variable(string name)
    {
        string? v = _get(name)?.Trim();
        return string.IsNullOrEmpty(v) ? 0 : Constant(v);
    }

    private static long Constant(string text)
    {
        try
        {
            if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) return Convert.ToInt64(text[2..], 16);
            if (text.Length > 1 && text[0] == '0') return Convert.ToInt64(text[1..], 8);
            return long.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new ArithException($"bad number \"{text}\"");
        }
    }
}
