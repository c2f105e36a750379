namespace MiniBSD.Kernel.Kern;

/// <summary>pipeops (sys_pipe.c): a pipe end as a file. The read end is opened FREAD, the write end FWRITE.</summary>
public sealed class PipeFileOps(long copyCyclesPerPage) : IFileOps
{
    public IEnumerator<Op> Read(OpenFile fp, Uio uio) => SysPipe.PipeRead((Pipe)fp.Data, uio, copyCyclesPerPage);
    public IEnumerator<Op> Write(OpenFile fp, Uio uio) => SysPipe.PipeWrite((Pipe)fp.Data, uio, copyCyclesPerPage);
    public IEnumerator<Op> Close(OpenFile fp) => SysPipe.PipeClose((Pipe)fp.Data, readEnd: (fp.Flag & FileFlags.Read) != 0);

    /// <summary>sys_pipe's dopipe: a new pipe as two files, [0] the read end and [1] the write end.</summary>
    public (OpenFile Read, OpenFile Write) Create()
    {
        var pipe = new Pipe();
        return (new OpenFile(DType.Pipe, FileFlags.Read, this, pipe), new OpenFile(DType.Pipe, FileFlags.Write, this, pipe));
    }
}
