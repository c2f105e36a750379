namespace MiniBSD.Kernel.Abi;

/// <summary>open(2) flags, OpenBSD sys/fcntl.h values.</summary>
public static class Fcntl
{
    public const int O_RDONLY = 0x0000;
    public const int O_WRONLY = 0x0001;
    public const int O_RDWR = 0x0002;
    public const int O_ACCMODE = 0x0003;
    public const int O_NONBLOCK = 0x0004;
    public const int O_APPEND = 0x0008;
    public const int O_CREAT = 0x0200;
    public const int O_TRUNC = 0x0400;
    public const int O_EXCL = 0x0800;
    public const int O_CLOEXEC = 0x10000;

    /// <summary>PATH_MAX (sys/syslimits.h): the longest path, its NUL included.</summary>
    public const int PATH_MAX = 1024;
}
