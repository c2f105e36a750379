using MiniBSD.Kernel.Kern;

namespace MiniBSD.Kernel.Abi;

/// <summary>
/// A program as execve loads it. Instructions are not emulated, so the "text" is pages of a shared read-only,
/// executable object whose size the image states; data and bss are real memory the program uses.
/// </summary>
public interface IProgram
{
    /// <summary>
    /// The program's first frame (crt0's _start): runs main and calls exit with what it returns. At entry the stack
    /// pointer <paramref name="sp"/> points at argc, then argv[0..argc-1], NULL, envp[..], NULL, as the ELF ABI lays
    /// them out; argv and envp are the addresses of those arrays.
    /// </summary>
    IEnumerator<Op> Start(IUserContext context, long argc, ulong argv, ulong envp, ulong sp);
}

/// <summary>
/// An executable file in the program registry (MiniBSD's stand-in for a file system): its path, a factory for the
/// program object of each exec, and the sizes and contents of its segments.
/// </summary>
/// <param name="Path">Absolute path, e.g. /bin/sh.</param>
/// <param name="Create">Makes the program object an exec runs (fork copies it with the frames).</param>
/// <param name="TextPages">Pages of text, mapped read-only and executable, shared by every process running it.</param>
/// <param name="Data">Initialised data, mapped copy-on-write after the text.</param>
/// <param name="BssPages">Zero-filled pages after the data; the heap (obreak) starts after them.</param>
public sealed record ProgramImage(string Path, Func<IProgram> Create, int TextPages = 1, byte[]? Data = null, int BssPages = 1);

/// <summary>
/// The registry execve and open look paths up in: programs, and the few read-only plain files scripts need (such as
/// /etc/rc). It stands in for a file system; its dictionaries are ordered, so nothing depends on hash order.
/// </summary>
public sealed class ProgramRegistry
{
    private readonly SortedDictionary<string, ProgramImage> _images = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, byte[]> _files = new(StringComparer.Ordinal);

    public void Add(ProgramImage image)
    {
        CheckPath(image.Path);
        _images[image.Path] = image;
    }

    /// <summary>A read-only plain file with these contents.</summary>
    public void AddFile(string path, byte[] contents)
    {
        CheckPath(path);
        _files[path] = contents;
    }

    public ProgramImage? Lookup(string path) => _images.GetValueOrDefault(path);

    public byte[]? LookupFile(string path) => _files.GetValueOrDefault(path);

    private static void CheckPath(string path)
    {
        if (!path.StartsWith('/')) throw new ArgumentException($"path '{path}' is not absolute", nameof(path));
    }
}
