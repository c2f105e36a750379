namespace MiniBSD.Cli.MmuAt;

/// <summary>A scenario file is wrong: the message names the file and the field (or line) at fault.</summary>
public sealed class ScenarioException : Exception
{
    public ScenarioException(string message) : base(message) { }
    public ScenarioException(string message, Exception inner) : base(message, inner) { }
    public ScenarioException() { }
}
