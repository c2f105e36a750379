using System.Text;

namespace MiniBSD.Userland.Sh;

/// <summary>
/// A recursive-descent parser for MiniBSD sh's POSIX subset (XCU 2.10's grammar, cut down): lists with ; &amp; and
/// newlines, &amp;&amp; and ||, pipelines with !, simple commands with assignments and redirections, if/elif/else,
/// while/until, for, ( ) and { }, comments, quoting (' " \), $name ${...} $(...) `...` $((...)). The whole script is
/// parsed before anything runs; an error names its line and column.
/// </summary>
public sealed class Parser
{
    private static readonly HashSet<string> Reserved = ["if", "then", "elif", "else", "fi", "while", "until", "do", "done", "for", "in", "{", "}", "!"];
    private readonly string _s;
    private int _pos;

    private Parser(string source) => _s = source;

    public static Script Parse(string source)
    {
        var p = new Parser(source);
        var script = p.ParseList(topLevel: true);
        p.SkipBlanks();
        if (!p.AtEnd) throw p.Error($"unexpected {p.Describe()}");
        return script;
    }

    private bool AtEnd => _pos >= _s.Length;
    private char Cur => _pos < _s.Length ? _s[_pos] : '\0';
    private char Peek(int k = 1) => _pos + k < _s.Length ? _s[_pos + k] : '\0';

    private (int Line, int Column) Position(int pos)
    {
        int line = 1, col = 1;
        for (int i = 0; i < pos && i < _s.Length; i++)
        {
            if (_s[i] == '\n') { line++; col = 1; }
            else col++;
        }
        return (line, col);
    }

    private ShSyntaxException Error(string message, int? at = null)
    {
        var (line, col) = Position(at ?? _pos);
        return new ShSyntaxException(line, col, message);
    }

    private string Describe()
    {
        if (AtEnd) return "end of file";
        if (Cur == '\n') return "newline";
        int save = _pos;
        string? w = PeekRawWord();
        _pos = save;
        return w is { Length: > 0 } ? $"\"{w}\"" : $"\"{Operator() ?? Cur.ToString()}\"";
    }

    /// <summary>Skips spaces, tabs, line continuations and a comment (not newlines).</summary>
    private void SkipBlanks()
    {
        while (!AtEnd)
        {
            if (Cur is ' ' or '\t') _pos++;
            else if (Cur == '\\' && Peek() == '\n') _pos += 2;
            else if (Cur == '#')
                while (!AtEnd && Cur != '\n') _pos++;
            else break;
        }
    }

    private void SkipLinebreaks()
    {
        while (true)
        {
            SkipBlanks();
            if (Cur != '\n') return;
            _pos++;
        }
    }

    private static bool IsMeta(char c) => c is ' ' or '\t' or '\n' or ';' or '&' or '|' or '<' or '>' or '(' or ')' or '\0';

    /// <summary>The operator at the cursor (not consumed), or null.</summary>
    private string? Operator()
    {
        foreach (var op in new[] { "&&", "||", ";;", ">>", ">&", "<&", ">|", ";", "&", "|", "<", ">", "(", ")" })
            if (string.CompareOrdinal(_s, _pos, op, 0, op.Length) == 0) return op;
        return null;
    }

    /// <summary>The next word's raw text if it is unquoted plain text (for reserved words), without consuming it.</summary>
    private string? PeekRawWord()
    {
        int start = _pos;
        while (!AtEnd && !IsMeta(Cur))
        {
            if (Cur is '\'' or '"' or '\\' or '$' or '`') { _pos = start; return null; }
            _pos++;
        }
        string w = _s[start.._pos];
        _pos = start;
        return w;
    }

    private bool AtReserved(params string[] words)
    {
        SkipBlanks();
        return PeekRawWord() is { } w && words.Contains(w);
    }

    private void Expect(string word)
    {
        SkipLinebreaks();
        if (PeekRawWord() != word) throw Error($"expected \"{word}\", found {Describe()}");
        _pos += word.Length;
    }

    /// <summary>A list of and-or commands up to a closing word or operator (or the end).</summary>
    private Script ParseList(bool topLevel = false)
    {
        var items = new List<ListItem>();
        while (true)
        {
            SkipLinebreaks();
            while (Cur == ';' && Peek() != ';') { _pos++; SkipLinebreaks(); }
            if (AtEnd || Cur == ')' || AtReserved("then", "elif", "else", "fi", "do", "done", "}")) break;
            if (Cur == '`' && !topLevel) break;
            var andOr = ParseAndOr();
            SkipBlanks();
            bool background = false;
            if (Cur == '&' && Peek() != '&') { _pos++; background = true; }
            else if (Cur == ';' && Peek() != ';') _pos++;
            else if (Cur == '\n') _pos++;
            else if (!AtEnd && Cur != ')' && Cur != '`' && !AtReserved("then", "elif", "else", "fi", "do", "done", "}"))
                throw Error($"unexpected {Describe()}");
            items.Add(new ListItem(andOr, background));
        }
        return new Script(items);
    }

    private AndOr ParseAndOr()
    {
        var pipelines = new List<Pipeline> { ParsePipeline() };
        var ops = new List<string>();
        while (true)
        {
            SkipBlanks();
            string? op = Operator();
            if (op is not ("&&" or "||")) break;
            _pos += 2;
            SkipLinebreaks();
            ops.Add(op);
            pipelines.Add(ParsePipeline());
        }
        return new AndOr(pipelines, ops);
    }

    private Pipeline ParsePipeline()
    {
        SkipBlanks();
        bool negated = false;
        if (PeekRawWord() == "!")
        {
            _pos++;
            negated = true;
        }
        var commands = new List<Command> { ParseCommand() };
        while (true)
        {
            SkipBlanks();
            if (Cur != '|' || Peek() == '|') break;
            _pos++;
            SkipLinebreaks();
            commands.Add(ParseCommand());
        }
        return new Pipeline(commands, negated);
    }

    private Command ParseCommand()
    {
        SkipBlanks();
        int start = _pos;
        if (Cur == '(')
        {
            _pos++;
            var body = ParseList();
            SkipLinebreaks();
            if (Cur != ')') throw Error($"expected \")\" to close the \"(\" at {Where(start)}, found {Describe()}");
            _pos++;
            return new GroupCommand(body, true, ParseRedirections());
        }
        switch (PeekRawWord())
        {
            case "if": return ParseIf();
            case "while" or "until": return ParseWhile();
            case "for": return ParseFor();
            case "{":
                _pos++;
                var body = ParseList();
                Expect("}");
                return new GroupCommand(body, false, ParseRedirections());
            case "then" or "elif" or "else" or "fi" or "do" or "done" or "}" or "in":
                throw Error($"unexpected \"{PeekRawWord()}\"");
        }
        return ParseSimple();
    }

    private string Where(int pos)
    {
        var (l, c) = Position(pos);
        return $"{l}:{c}";
    }

    private List<Redirection> ParseRedirections()
    {
        var list = new List<Redirection>();
        while (true)
        {
            SkipBlanks();
            if (TryRedirection() is not { } r) return list;
            list.Add(r);
        }
    }

    private Redirection? TryRedirection()
    {
        int start = _pos;
        int fd = -1;
        int digits = _pos;
        while (char.IsAsciiDigit(_s.ElementAtOrDefault(digits))) digits++;
        if (digits > _pos && _s.ElementAtOrDefault(digits) is '<' or '>')
        {
            fd = int.Parse(_s[_pos..digits], System.Globalization.CultureInfo.InvariantCulture);
            _pos = digits;
        }
        string? op = Operator();
        if (op is not (">" or ">>" or "<" or ">&" or "<&" or ">|"))
        {
            _pos = start;
            return null;
        }
        _pos += op.Length;
        SkipBlanks();
        if (IsMeta(Cur)) throw Error($"expected a file name after \"{op}\", found {Describe()}");
        var target = ReadWord();
        return new Redirection(fd >= 0 ? fd : op[0] == '<' ? 0 : 1, op == ">|" ? ">" : op, target);
    }

    private SimpleCommand ParseSimple()
    {
        int line = Position(_pos).Line;
        var assignments = new List<(string, Word)>();
        var words = new List<Word>();
        var redirections = new List<Redirection>();
        while (true)
        {
            SkipBlanks();
            if (TryRedirection() is { } r) { redirections.Add(r); continue; }
            if (IsMeta(Cur)) break;
            if (words.Count == 0 && AssignmentName() is { } name)
            {
                _pos += name.Length + 1;
                assignments.Add((name, IsMeta(Cur) ? new Word([], false, "") : ReadWord()));
                continue;
            }
            words.Add(ReadWord());
        }
        if (assignments.Count == 0 && words.Count == 0 && redirections.Count == 0)
            throw Error($"unexpected {Describe()}");
        return new SimpleCommand(assignments, words, redirections, line);
    }

    /// <summary>NAME in NAME=... at the cursor, or null.</summary>
    private string? AssignmentName()
    {
        int i = _pos;
        if (!(char.IsAsciiLetter(Cur) || Cur == '_')) return null;
        while (i < _s.Length && (char.IsAsciiLetterOrDigit(_s[i]) || _s[i] == '_')) i++;
        return i < _s.Length && _s[i] == '=' ? _s[_pos..i] : null;
    }

    private IfCommand ParseIf()
    {
        _pos += 2;
        var branches = new List<(Script, Script)>();
        Script? otherwise = null;
        var cond = ParseList();
        Expect("then");
        branches.Add((cond, ParseList()));
        while (true)
        {
            SkipLinebreaks();
            string? w = PeekRawWord();
            if (w == "elif")
            {
                _pos += 4;
                var c = ParseList();
                Expect("then");
                branches.Add((c, ParseList()));
                continue;
            }
            if (w == "else")
            {
                _pos += 4;
                otherwise = ParseList();
            }
            Expect("fi");
            return new IfCommand(branches, otherwise, ParseRedirections());
        }
    }

    private WhileCommand ParseWhile()
    {
        bool until = PeekRawWord() == "until";
        _pos += until ? 5 : 5;
        var cond = ParseList();
        Expect("do");
        var body = ParseList();
        Expect("done");
        return new WhileCommand(cond, body, until, ParseRedirections());
    }

    private ForCommand ParseFor()
    {
        _pos += 3;
        SkipBlanks();
        string? name = AssignmentNameOnly();
        if (name is null) throw Error($"expected a variable name after \"for\", found {Describe()}");
        _pos += name.Length;
        List<Word>? words = null;
        SkipLinebreaks();
        if (PeekRawWord() == "in")
        {
            _pos += 2;
            words = [];
            while (true)
            {
                SkipBlanks();
                if (IsMeta(Cur)) break;
                words.Add(ReadWord());
            }
            if (Cur == ';') _pos++;
        }
        else if (Cur == ';') _pos++;
        Expect("do");
        var body = ParseList();
        Expect("done");
        return new ForCommand(name, words, body, ParseRedirections());
    }

    private string? AssignmentNameOnly()
    {
        int i = _pos;
        if (!(char.IsAsciiLetter(Cur) || Cur == '_')) return null;
        while (i < _s.Length && (char.IsAsciiLetterOrDigit(_s[i]) || _s[i] == '_')) i++;
        return i < _s.Length && !IsMeta(_s[i]) ? null : _s[_pos..i];
    }

    /// <summary>A word up to an unquoted metacharacter, with its quotes and expansions.</summary>
    private Word ReadWord()
    {
        int start = _pos;
        var parts = new List<WordPart>();
        var lit = new StringBuilder();
        bool quotes = false;
        void Flush(bool quoted)
        {
            if (lit.Length == 0) return;
            parts.Add(new Literal(lit.ToString(), quoted));
            lit.Clear();
        }
        while (!AtEnd && !IsMeta(Cur))
        {
            char c = Cur;
            if (c == '\'')
            {
                Flush(false);
                quotes = true;
                int open = _pos++;
                while (!AtEnd && Cur != '\'') lit.Append(_s[_pos++]);
                if (AtEnd) throw Error("unterminated single quote", open);
                _pos++;
                parts.Add(new Literal(lit.ToString(), true));
                lit.Clear();
            }
            else if (c == '"')
            {
                Flush(false);
                quotes = true;
                ReadDoubleQuoted(parts);
            }
            else if (c == '\\')
            {
                _pos++;
                if (AtEnd) break;
                if (Cur == '\n') { _pos++; continue; }
                Flush(false);
                parts.Add(new Literal(Cur.ToString(), true));
                _pos++;
            }
            else if (c is '$' or '`')
            {
                Flush(false);
                if (ReadDollar(quoted: false) is { } part) parts.Add(part);
                else lit.Append('$');
            }
            else
            {
                lit.Append(c);
                _pos++;
            }
        }
        Flush(false);
        return new Word(parts, quotes, _s[start.._pos]);
    }

    private void ReadDoubleQuoted(List<WordPart> parts)
    {
        int open = _pos++;
        var lit = new StringBuilder();
        parts.Add(new Literal("", true));   // "" alone is still a field
        while (true)
        {
            if (AtEnd) throw Error("unterminated double quote", open);
            char c = Cur;
            if (c == '"') { _pos++; break; }
            if (c == '\\' && Peek() is '$' or '`' or '"' or '\\' or '\n')
            {
                if (Peek() != '\n') lit.Append(Peek());
                _pos += 2;
                continue;
            }
            if (c is '$' or '`')
            {
                if (lit.Length > 0) { parts.Add(new Literal(lit.ToString(), true)); lit.Clear(); }
                if (ReadDollar(quoted: true) is { } part) parts.Add(part);
                else lit.Append('$');
                continue;
            }
            lit.Append(c);
            _pos++;
        }
        if (lit.Length > 0) parts.Add(new Literal(lit.ToString(), true));
    }

    /// <summary>An expansion at $ or `; null for a $ that starts none (it is literal).</summary>
    private WordPart? ReadDollar(bool quoted)
    {
        int start = _pos;
        if (Cur == '`')
        {
            _pos++;
            var inner = new StringBuilder();
            while (!AtEnd && Cur != '`')
            {
                if (Cur == '\\' && Peek() is '`' or '\\' or '$') _pos++;
                inner.Append(_s[_pos++]);
            }
            if (AtEnd) throw Error("unterminated backquote", start);
            _pos++;
            try { return new CommandSubstitution(Parse(inner.ToString()), quoted); }
            catch (ShSyntaxException e) { throw Error($"in `...`: {e.Message}", start); }
        }
        _pos++;   // $
        if (Cur == '(' && Peek() == '(')
        {
            _pos += 2;
            var expr = new StringBuilder();
            int depth = 0;
            while (!AtEnd && !(depth == 0 && Cur == ')' && Peek() == ')'))
            {
                if (Cur == '(') depth++;
                if (Cur == ')') depth--;
                expr.Append(_s[_pos++]);
            }
            if (AtEnd) throw Error("unterminated $((", start);
            _pos += 2;
            var inner = new Parser(expr.ToString()).ReadArithWord();
            return new Arithmetic(inner, quoted);
        }
        if (Cur == '(')
        {
            _pos++;
            var script = ParseList();
            SkipLinebreaks();
            if (Cur != ')') throw Error($"expected \")\" to close the \"$(\" at {Where(start)}, found {Describe()}");
            _pos++;
            return new CommandSubstitution(script, quoted);
        }
        if (Cur == '{') return ReadBraced(start, quoted);
        if (Cur is '?' or '$' or '!' or '#' or '@' or '*' or '-' || char.IsAsciiDigit(Cur))
            return new Parameter(_s[_pos++].ToString(), null, null, false, quoted);
        if (char.IsAsciiLetter(Cur) || Cur == '_')
        {
            int n = _pos;
            while (n < _s.Length && (char.IsAsciiLetterOrDigit(_s[n]) || _s[n] == '_')) n++;
            var name = _s[_pos..n];
            _pos = n;
            return new Parameter(name, null, null, false, quoted);
        }
        _pos = start + 1;
        return null;
    }

    private Parameter ReadBraced(int start, bool quoted)
    {
        _pos++;   // {
        bool length = Cur == '#' && Peek() != '}';
        if (length) _pos++;
        int n = _pos;
        if (n < _s.Length && (_s[n] is '?' or '$' or '!' or '#' or '@' or '*' or '-' || char.IsAsciiDigit(_s[n]))) n++;
        else while (n < _s.Length && (char.IsAsciiLetterOrDigit(_s[n]) || _s[n] == '_')) n++;
        if (n == _pos) throw Error("bad substitution", start);
        string name = _s[_pos..n];
        _pos = n;
        string? op = null;
        Word? arg = null;
        if (!length)
            foreach (var o in new[] { ":-", ":=", ":+", "-", "=", "+" })
                if (string.CompareOrdinal(_s, _pos, o, 0, o.Length) == 0)
                {
                    op = o;
                    _pos += o.Length;
                    arg = ReadUntilBrace(start);
                    break;
                }
        if (Cur != '}') throw Error("bad substitution", start);
        _pos++;
        return new Parameter(name, op, arg, length, quoted);
    }

    /// <summary>The word inside ${name OP word} up to its closing brace.</summary>
    private Word ReadUntilBrace(int start)
    {
        int depth = 0, from = _pos;
        while (!AtEnd && !(depth == 0 && Cur == '}'))
        {
            if (Cur == '{') depth++;
            if (Cur == '}') depth--;
            if (Cur == '\\') _pos++;
            _pos++;
        }
        if (AtEnd) throw Error("bad substitution", start);
        var text = _s[from.._pos];
        return new Parser(text).ReadArithWord();
    }

    /// <summary>The whole source as one word in which only quotes and $ expansions are special (blanks are kept).</summary>
    private Word ReadArithWord()
    {
        var parts = new List<WordPart>();
        var lit = new StringBuilder();
        bool quotes = false;
        while (!AtEnd)
        {
            if (Cur is '$' or '`')
            {
                if (lit.Length > 0) { parts.Add(new Literal(lit.ToString(), false)); lit.Clear(); }
                if (ReadDollar(false) is { } part) parts.Add(part);
                else lit.Append('$');
            }
            else if (Cur == '"')
            {
                if (lit.Length > 0) { parts.Add(new Literal(lit.ToString(), false)); lit.Clear(); }
                quotes = true;
                ReadDoubleQuoted(parts);
            }
            else if (Cur == '\'')
            {
                quotes = true;
                _pos++;
                while (!AtEnd && Cur != '\'') lit.Append(_s[_pos++]);
                _pos++;
            }
            else lit.Append(_s[_pos++]);
        }
        if (lit.Length > 0) parts.Add(new Literal(lit.ToString(), quotes));
        return new Word(parts, quotes, _s);
    }
}
