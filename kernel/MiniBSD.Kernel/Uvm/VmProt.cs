namespace MiniBSD.Kernel.Uvm;

/// <summary>Protection of a mapping (OpenBSD vm_prot_t: PROT_READ, PROT_WRITE, PROT_EXEC).</summary>
[Flags]
public enum VmProt : byte
{
    None = 0,
    Read = 1,
    Write = 2,
    Execute = 4,
    ReadWrite = Read | Write,
    All = Read | Write | Execute,
}
