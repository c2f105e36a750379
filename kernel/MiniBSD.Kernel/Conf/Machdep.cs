using MiniBSD.Hal;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Kernel.Conf;

/// <summary>
/// The kernel's configuration (OpenBSD's sys/arch/*/conf and the linker): which machine-dependent layer a machine
/// gets. The only place outside Arch/ that names an architecture's code.
/// </summary>
internal static class Machdep
{
    /// <summary>Runs locore for the machine's architecture and returns its MD layer.</summary>
    public static IMachdep Attach(Machine machine) => machine.Config.Arch switch
    {
        Hal.Arch.Arm64 => new Arch.Arm64.Machdep(machine),
        Hal.Arch.Amd64 => new Arch.Amd64.Machdep(machine),
        _ => throw new ArgumentOutOfRangeException(nameof(machine), machine.Config.Arch, "no machine-dependent layer"),
    };
}
