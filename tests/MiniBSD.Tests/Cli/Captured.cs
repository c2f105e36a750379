using System.Text;
using MiniBSD.Cli;

namespace MiniBSD.Tests;

/// <summary>A byte stream standing in for the host's standard output: what was written, as UTF-8 text.</summary>
internal sealed class Captured : MemoryStream
{
    public override string ToString() => Encoding.UTF8.GetString(ToArray());

    /// <summary>Runs the minibsd command as Main does: (exit code, stdout, stderr).</summary>
    public static (int Code, string Stdout, string Stderr) Minibsd(params string[] args)
    {
        using var stdout = new Captured();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
