namespace MiniBSD.Userland.Sh;

/// <summary>A piece of a word. <see cref="Quoted"/>: inside quotes, so its expansion is not split into fields.</summary>
public abstract record WordPart(bool Quoted);

/// <summary>Text that stands for itself.</summary>
public sealed record Literal(string Text, bool Quoted) : WordPart(Quoted);

/// <summary>$name, ${name}, ${name OP word} (OP one of :- - := = :+ +), and ${#name} when <see cref="Length"/>.</summary>
public sealed record Parameter(string Name, string? Op, Word? Argument, bool Length, bool Quoted) : WordPart(Quoted);

/// <summary>$(script) or `script`.</summary>
public sealed record CommandSubstitution(Script Script, bool Quoted) : WordPart(Quoted);

/// <summary>$((expression)): the expression is expanded as a word, then evaluated.</summary>
public sealed record Arithmetic(Word Expression, bool Quoted) : WordPart(Quoted);

/// <summary>A word: its parts, whether any quote appeared (so "" is an empty field), and its raw text.</summary>
public sealed record Word(IReadOnlyList<WordPart> Parts, bool HasQuotes, string Raw)
{
    public bool IsPlainLiteral => !HasQuotes && Parts.All(p => p is Literal);
}

/// <summary>A redirection: [fd]&gt;word, &gt;&gt;, &lt;, &gt;&amp;, &lt;&amp;.</summary>
public sealed record Redirection(int Fd, string Op, Word Target);

public abstract record Command(IReadOnlyList<Redirection> Redirections);

/// <summary>NAME=value ... word ... with redirections.</summary>
public sealed record SimpleCommand(IReadOnlyList<(string Name, Word Value)> Assignments, IReadOnlyList<Word> Words, IReadOnlyList<Redirection> Redirections, int Line)
    : Command(Redirections);

public sealed record IfCommand(IReadOnlyList<(Script Condition, Script Body)> Branches, Script? Else, IReadOnlyList<Redirection> Redirections) : Command(Redirections);

/// <summary>while (or until, when <see cref="Until"/>) condition; do body; done.</summary>
public sealed record WhileCommand(Script Condition, Script Body, bool Until, IReadOnlyList<Redirection> Redirections) : Command(Redirections);

/// <summary>for NAME in WORDS; do body; done (WORDS null: "$@").</summary>
public sealed record ForCommand(string Name, IReadOnlyList<Word>? Words, Script Body, IReadOnlyList<Redirection> Redirections) : Command(Redirections);

/// <summary>( script ) when <see cref="Subshell"/>, else { script; }.</summary>
public sealed record GroupCommand(Script Body, bool Subshell, IReadOnlyList<Redirection> Redirections) : Command(Redirections);

/// <summary>cmd | cmd ..., negated with a leading !.</summary>
public sealed record Pipeline(IReadOnlyList<Command> Commands, bool Negated);

/// <summary>pipeline &amp;&amp; pipeline || ... (Ops[i] joins Pipelines[i] and Pipelines[i+1]).</summary>
public sealed record AndOr(IReadOnlyList<Pipeline> Pipelines, IReadOnlyList<string> Ops);

/// <summary>One list entry: an and-or list, run in the background when it ended with &amp;.</summary>
public sealed record ListItem(AndOr Command, bool Background);

public sealed record Script(IReadOnlyList<ListItem> Items);

/// <summary>A syntax error at a line and column (both from 1).</summary>
public sealed class ShSyntaxException(int line, int column, string message) : Exception(message)
{
    public int Line { get; } = line;
    public int Column { get; } = column;
}
