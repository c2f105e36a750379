using MiniBSD.Hal;
using MiniBSD.Hal.X86;
using MiniBSD.Kernel.Kern;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Kernel.Arch.Amd64;

/// <summary>
/// amd64's half of copyin and copyout (OpenBSD amd64 copy.S): SMAP keeps the kernel out of user pages, so each copy
/// opens it with STAC (RFLAGS.AC = 1), moves the byte with a plain supervisor access, and closes it with CLAC; a
/// fault is the #PF handler's to decode.
/// </summary>
public sealed class UserAccess : IUserAccess
{
    public static UserAccess Access { get; } = new();

    /// <summary>STAC; movb; CLAC. On a fault the CLAC stands for the trap entry's SMAP_CLAC (the #PF does not clear AC).</summary>
    public bool LoadUserByte(Cpu cpu, ulong va, out byte value)
    {
        cpu.Execute(X86Code.Stac);
        bool ok = cpu.TryRead(va, 1, out ulong v);
        cpu.Execute(X86Code.Clac);
        value = (byte)v;
        return ok;
    }

    public bool StoreUserByte(Cpu cpu, ulong va, byte value)
    {
        cpu.Execute(X86Code.Stac);
        bool ok = cpu.TryWrite(va, 1, value);
        cpu.Execute(X86Code.Clac);
        return ok;
    }

    /// <summary>The #PF handler, IRETQ back into the copy at CPL 0 (RFLAGS.AC as pushed), and copy_fault's SMAP_CLAC.</summary>
    public TrapOutcome Fault(Cpu cpu, Uvm.Uvm uvm, VmMap map)
    {
        var outcome = Trap.PageFault(cpu, uvm, map);
        cpu.Execute(X86Code.Iretq);
        cpu.Execute(X86Code.Clac);
        return outcome;
    }

    public ulong VmMaxUserAddress => VmParam.VmMaxUserAddress;
}
