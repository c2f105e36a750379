using System.Text;

namespace MiniBSD.Cli.Host;

/// <summary>
/// The files a command reads and writes on the host. Every failure comes back as one line naming the file (the
/// caller prefixes the command and the option), never as an exception; an output is never left half-written.
/// </summary>
public static class HostFiles
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>The text of <paramref name="path"/>, or null with <paramref name="error"/> saying why not.</summary>
    public static string? ReadText(string path, out string? error)
    {
        error = Problem(path, reading: true);
        if (error is not null) return null;
        try { return File.ReadAllText(path, Utf8); }
        catch (Exception e) when (IsHostError(e))
        {
            error = $"cannot read {path}: {Reason(e)}";
            return null;
        }
    }

    /// <summary>
    /// Writes <paramref name="text"/> to <paramref name="path"/>. A regular file (or a path that does not exist yet) is
    /// replaced atomically: the text goes to a temporary file beside it, which is renamed over it. Anything else (a
    /// device such as /dev/null, a FIFO, a symbolic link) is written in place, as a shell's redirection would: a
    /// rename would put a regular file where the device was. False with <paramref name="error"/> on failure.
    /// </summary>
    public static bool WriteText(string path, string text, out string? error)
    {
        error = Problem(path, reading: false);
        if (error is not null) return false;
        var kind = HostFileKind.Of(path);
        if (kind == FileKind.Directory)
        {
            error = $"cannot write {path}: it is a directory";
            return false;
        }
        if (kind == FileKind.SymbolicLink) return WriteInPlace(path, text, truncate: HostFileKind.Of(LinkTarget(path)) == FileKind.Regular, out error);
        if (kind == FileKind.Other) return WriteInPlace(path, text, truncate: false, out error);
        string temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            File.WriteAllText(temp, text, Utf8);
            File.Move(temp, path, overwrite: true);
            return true;
        }
        catch (Exception e) when (IsHostError(e))
        {
            try { File.Delete(temp); } catch (Exception d) when (IsHostError(d)) { }   // best effort: it may not exist
            error = $"cannot write {path}: {Reason(e)}";
            return false;
        }
    }

    /// <summary>Where a symbolic link leads in the end (the link itself if it cannot be resolved).</summary>
    private static string LinkTarget(string path)
    {
        try { return new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path; }
        catch (Exception e) when (IsHostError(e)) { return path; }
    }

    private static bool WriteInPlace(string path, string text, bool truncate, out string? error)
    {
        error = null;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            if (truncate) stream.SetLength(0);   // a link to a regular file: truncated as O_TRUNC would
            stream.Write(Utf8.GetBytes(text));
            return true;
        }
        catch (Exception e) when (IsHostError(e))
        {
            error = $"cannot write {path}: {Reason(e)}";
            return false;
        }
    }

    /// <summary>
    /// Makes the output folder <paramref name="dir"/> if it is missing, but not its missing parents (a typo in a
    /// parent should not grow a tree of folders). False with <paramref name="error"/> when it cannot be made.
    /// </summary>
    public static bool EnsureDirectory(string dir, out string? error)
    {
        error = Problem(dir, reading: false);
        if (error is not null) return false;
        if (Directory.Exists(dir)) return true;
        if (File.Exists(dir))
        {
            error = $"{dir} is not a folder";
            return false;
        }
        string parent = Path.GetDirectoryName(Path.GetFullPath(dir)) ?? ".";
        if (!Directory.Exists(parent))
        {
            error = $"cannot make {dir}: its parent {parent} does not exist (only the last folder is made)";
            return false;
        }
        try
        {
            Directory.CreateDirectory(dir);
            return true;
        }
        catch (Exception e) when (IsHostError(e))
        {
            error = $"cannot make {dir}: {Reason(e)}";
            return false;
        }
    }

    /// <summary>What is wrong with the path itself (empty, a NUL in it), or null.</summary>
    private static string? Problem(string path, bool reading) =>
        path.Length == 0 ? "the file name is empty"
        : path.Contains('\0', StringComparison.Ordinal) ? "the file name has a NUL character in it"
        : reading && Directory.Exists(path) ? $"cannot read {path}: it is a directory"
        : null;

    /// <summary>The exceptions the host's file system throws for a bad path or a failed read or write.</summary>
    public static bool IsHostError(Exception e) =>
        e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or System.Security.SecurityException;

    /// <summary>A short reason: "no such file", "permission denied", or the host's message.</summary>
    public static string Reason(Exception e) => e switch
    {
        FileNotFoundException => "no such file",
        DirectoryNotFoundException => "no such folder on its path",
        UnauthorizedAccessException => "permission denied",
        PathTooLongException => "the name is too long",
        _ => e.Message,
    };
}
