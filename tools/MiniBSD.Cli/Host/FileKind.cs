using System.Runtime.InteropServices;

namespace MiniBSD.Cli.Host;

/// <summary>What a path names on the host, from lstat(2)'s st_mode (a symbolic link is not followed).</summary>
public enum FileKind { Absent, Regular, Directory, SymbolicLink, Other }

/// <summary>
/// lstat(2) for <see cref="FileKind"/>: .NET says whether a path is a directory or a link but not whether it is a
/// regular file or a device node, FIFO or socket, which matters before renaming a file over it. Only st_mode is read,
/// at its offset in each ABI's struct stat; where the layout is not known here the answer is
/// <see cref="FileKind.Other"/> for any existing non-directory, which makes callers write in place: never wrong, only
/// not atomic.
/// </summary>
public static partial class HostFileKind
{
    private const int SIfmt = 0xF000, SIfreg = 0x8000, SIfdir = 0x4000, SIflnk = 0xA000;

    public static FileKind Of(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null) return FileKind.SymbolicLink;
        if (Directory.Exists(path)) return FileKind.Directory;
        if (!info.Exists) return FileKind.Absent;
        if (OperatingSystem.IsWindows()) return FileKind.Regular;   // no device nodes in the file system
        int offset = ModeOffset();
        if (offset < 0) return FileKind.Other;
        var stat = new byte[256];   // larger than struct stat on every ABI below
        try
        {
            if (Lstat(path, stat) != 0) return FileKind.Other;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return FileKind.Other;
        }
        int mode = BitConverter.ToUInt16(stat, offset);   // little-endian hosts only, as are all ABIs below
        return (mode & SIfmt) switch { SIfreg => FileKind.Regular, SIfdir => FileKind.Directory, SIflnk => FileKind.SymbolicLink, _ => FileKind.Other };
    }

    /// <summary>st_mode's offset: glibc x86-64 (dev, ino, nlink, then mode), the generic Linux layout of arm64 (dev,
    /// ino, mode), macOS arm64 (32-bit dev, then a 16-bit mode); -1 elsewhere.</summary>
    private static int ModeOffset() => (OperatingSystem.IsLinux(), OperatingSystem.IsMacOS(), RuntimeInformation.OSArchitecture) switch
    {
        (true, _, Architecture.X64) => 24,
        (true, _, Architecture.Arm64) => 16,
        (_, true, Architecture.Arm64) => 4,
        _ => -1,
    };

    [LibraryImport("libc", EntryPoint = "lstat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Lstat(string path, [Out] byte[] buffer);
}
