using MiniBSD.Kernel.Abi;
using static MiniBSD.Kernel.Kern.Systm;

namespace MiniBSD.Kernel.Kern;

/// <summary>
/// struct filedesc and kern_descrip.c: a process's descriptor table. Slots hold shared <see cref="OpenFile"/>s; table
/// changes are immediate, and a change that drops a reference hands the file back so the caller can run
/// <see cref="Closef"/> (a frame, since a pipe's last close wakes its sleepers).
/// </summary>
public sealed class FileDesc
{
    /// <summary>OPEN_MAX (sys/syslimits.h): descriptors per process.</summary>
    public const int OPEN_MAX = 64;

    /// <summary>NDFILE (sys/filedesc.h): the slots a table starts with (filedesc0's fd_dfiles); fdexpand grows it.</summary>
    public const int NDFILE = 20;

    /// <summary>NDEXTENT (sys/filedesc.h): the first size fdexpand grows a table to; it doubles after that.</summary>
    public const int NDEXTENT = 50;

    private OpenFile?[] _ofiles;   // fd_ofiles; its length is fd_nfiles

    public FileDesc() => _ofiles = new OpenFile?[NDFILE];

    private FileDesc(int nfiles) => _ofiles = new OpenFile?[nfiles];

    /// <summary>Descriptors open now.</summary>
    public int Open => _ofiles.Count(f => f is not null);

    /// <summary>fd_nfiles: the slots the table has now (NDFILE, then grown by fdexpand up to OPEN_MAX).</summary>
    public int Slots => _ofiles.Length;

    /// <summary>fd_getfile_mode: the file at <paramref name="fd"/> if it is open with every bit of <paramref name="mode"/>.</summary>
    public Errno GetFile(int fd, FileFlags mode, out OpenFile? fp)
    {
        fp = (uint)fd < (uint)_ofiles.Length ? _ofiles[fd] : null;
        if (fp is null || (fp.Flag & mode) != mode)
        {
            fp = null;
            return Errno.EBADF;
        }
        return Errno.None;
    }

    /// <summary>fdalloc + fdinsert: the lowest free descriptor at or above <paramref name="want"/> now refers to <paramref name="fp"/>.</summary>
    public Errno Install(OpenFile fp, out int fd, int want = 0)
    {
        for (fd = want; fd < OPEN_MAX; fd++)
        {
            if (fd < _ofiles.Length && _ofiles[fd] is not null) continue;
            Fdexpand(fd);
            _ofiles[fd] = fp;
            return Errno.None;
        }
        fd = -1;
        return Errno.EMFILE;
    }

    /// <summary>
    /// dup2 (dodup3 with no flags): <paramref name="to"/> refers to what <paramref name="from"/> does; whatever
    /// <paramref name="to"/> held is handed back in <paramref name="displaced"/> for <see cref="Closef"/>.
    /// </summary>
    public Errno Dup2(int from, int to, out OpenFile? displaced)
    {
        displaced = null;
        if (GetFile(from, FileFlags.None, out var fp) != Errno.None || (uint)to >= OPEN_MAX) return Errno.EBADF;
        if (from == to) return Errno.None;   // POSIX: returns to, and to stays open
        Fdexpand(to);
        displaced = _ofiles[to];
        fp!.Count++;
        _ofiles[to] = fp;
        return Errno.None;
    }

    /// <summary>dup: the lowest free descriptor refers to what <paramref name="fd"/> does.</summary>
    public Errno Dup(int fd, out int newFd)
    {
        newFd = -1;
        if (GetFile(fd, FileFlags.None, out var fp) != Errno.None) return Errno.EBADF;
        var error = Install(fp!, out newFd);
        if (error == Errno.None) fp!.Count++;
        return error;
    }

    /// <summary>fdrelease: the slot is freed; its file is handed back for <see cref="Closef"/>.</summary>
    public Errno Close(int fd, out OpenFile? fp)
    {
        if (GetFile(fd, FileFlags.None, out fp) != Errno.None) return Errno.EBADF;
        _ofiles[fd] = null;
        return Errno.None;
    }

    /// <summary>fdexpand: grows the table until <paramref name="fd"/> has a slot (NDEXTENT, then doubling, at most OPEN_MAX).</summary>
    private void Fdexpand(int fd)
    {
        if (fd < _ofiles.Length) return;
        int nfiles = _ofiles.Length;
        while (nfiles <= fd) nfiles = nfiles < NDEXTENT ? NDEXTENT : Math.Min(2 * nfiles, OPEN_MAX);
        Array.Resize(ref _ofiles, nfiles);
    }

    /// <summary>
    /// fdcopy (fork): the child's table refers to the same files, each with one more reference. It starts at NDFILE
    /// slots and is as large as the parent's only when the parent's last open descriptor needs it, halving the size
    /// while it is more than twice what is used, as fdcopy does.
    /// </summary>
    public FileDesc Copy()
    {
        int last = LastFile();
        int nfiles = NDFILE;
        if (last >= NDFILE)
        {
            nfiles = _ofiles.Length;
            while (nfiles >= 2 * NDEXTENT && nfiles > last * 2) nfiles /= 2;
        }
        var copy = new FileDesc(nfiles);
        for (int fd = 0; fd <= last; fd++)
        {
            if (_ofiles[fd] is not { } fp) continue;
            fp.Count++;
            copy._ofiles[fd] = fp;
        }
        return copy;
    }

    /// <summary>fd_lastfile: the highest open descriptor, -1 when none is.</summary>
    private int LastFile()
    {
        int fd = _ofiles.Length - 1;
        while (fd >= 0 && _ofiles[fd] is null) fd--;
        return fd;
    }

    /// <summary>
    /// fdfree (exit): every descriptor is closed, lowest first. A file another table still refers to only loses a
    /// reference (closef's FRELE, which calls fdrop only for the last one), so it needs no frame of its own.
    /// </summary>
    public IEnumerator<Op> FdFree()
    {
        for (int fd = 0; fd < _ofiles.Length; fd++)
        {
            if (_ofiles[fd] is not { } fp) continue;
            _ofiles[fd] = null;
            if (fp.Count > 1) fp.Count--;
            else yield return Op.Call(Closef(fp));
        }
        yield return Op.Return(0);
    }

    /// <summary>closef: drops one reference; the last one runs the file's close operation. Returns 0.</summary>
    public static IEnumerator<Op> Closef(OpenFile fp)
    {
        Kassert(fp.Count > 0, "closef: {0} has no references", fp);
        if (--fp.Count == 0) yield return Op.Call(fp.Ops.Close(fp));
        yield return Op.Return(0);
    }
}
