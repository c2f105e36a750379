using MiniBSD.Hal;
using MiniBSD.Kernel.Kern;
using MiniBSD.Kernel.Uvm;

namespace MiniBSD.Kernel.Arch.Arm64;

/// <summary>
/// arm64's half of copyin and copyout (OpenBSD arm64 copy.S / copystr.S): the kernel touches user memory only with
/// unprivileged loads and stores (LDTRB/STTRB, checked as EL0, while PSTATE.PAN keeps plain loads out); a fault is
/// data_abort's to decode.
/// </summary>
public sealed class UserAccess : IUserAccess
{
    public static UserAccess Access { get; } = new();

    public bool LoadUserByte(Cpu cpu, ulong va, out byte value)
    {
        bool ok = cpu.TryReadUnprivileged(va, 1, out ulong v);
        value = (byte)v;
        return ok;
    }

    public bool StoreUserByte(Cpu cpu, ulong va, byte value) => cpu.TryWriteUnprivileged(va, 1, value);

    public TrapOutcome Fault(Cpu cpu, Uvm.Uvm uvm, VmMap map) => Trap.DataAbort(cpu, uvm, map);

    public ulong VmMaxUserAddress => VmParam.VmMaxUserAddress;
}
