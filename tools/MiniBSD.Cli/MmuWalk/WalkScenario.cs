using System.Text.Json.Nodes;
using MiniBSD.Cli.MmuAt;
using MiniBSD.Hal;
using MiniBSD.Hal.Mmu;
using MiniBSD.Hal.X86;

namespace MiniBSD.Cli.MmuWalk;

/// <summary>One translation to make: the linear address, the access, the CPL and RFLAGS.AC.</summary>
public readonly record struct WalkCase(ulong Va, AccessType Access, int Cpl, bool Ac);

/// <summary>
/// A scenario for <c>minibsd mmu walk --arch amd64</c>: a raw image of tables placed at <see cref="ImageBase"/>, the
/// control registers and EFER, MAXPHYADDR, and the cases. RAM starts at 0 (ram_base, ram_size may say otherwise) and
/// covers the image; physical reads no RAM answers return all ones, as a bus master abort does.
/// </summary>
public sealed class WalkScenario
{
    public required string Path { get; init; }
    public required JsonObject Json { get; init; }
    public required byte[] Image { get; init; }
    public required ulong ImageBase { get; init; }
    public required ulong RamBase { get; init; }
    public required ulong RamSize { get; init; }
    public required PagingState State { get; init; }
    public required IReadOnlyList<WalkCase> Cases { get; init; }

    public static WalkScenario Load(string path)
    {
        var (obj, image) = Scenario.ReadJsonAndImage(path);
        var f = new ScenarioFields(path, obj);
        if (obj["arch"] is JsonValue a && a.TryGetValue(out string? arch) && arch != "amd64")
            throw new ScenarioException($"{path}: field 'arch': '{arch}' is not amd64 (arm64 scenarios are for mmu at)");
        ulong imageBase = f.U64("image_base");
        int paBits = (int)f.U64("pa_bits", 48);
        if (paBits is < 32 or > 52) throw new ScenarioException($"{path}: field 'pa_bits': {paBits} is not a MAXPHYADDR (32 to 52)");
        ulong ramBase = f.U64("ram_base", 0);
        ulong imageEnd = imageBase + (ulong)image.LongLength;
        ulong ramSize = f.U64("ram_size", Math.Max(Scenario.DefaultRamSize, (imageEnd - Math.Min(ramBase, imageEnd) + 0x1F_FFFF) & ~0x1F_FFFFUL));
        if (ramBase % 4096 != 0 || ramSize % 4096 != 0 || ramSize < MachineConfig.MiB || ramSize > 64 * MachineConfig.GiB)
            throw new ScenarioException($"{path}: fields 'ram_base'/'ram_size': RAM must be 4 KiB aligned and 1 MiB to 64 GiB");
        if (imageBase < ramBase || imageEnd > ramBase + ramSize)
            throw new ScenarioException($"{path}: field 'image_base': the image [0x{imageBase:X}, 0x{imageEnd:X}) is not inside RAM [0x{ramBase:X}, 0x{ramBase + ramSize:X})");
        var state = new PagingState(new Cr0(f.U64("cr0")), new Cr3(f.U64("cr3")), new Cr4(f.U64("cr4")), new Efer(f.U64("efer")), paBits);
        if (!state.Cr0.Pg) throw new ScenarioException($"{path}: field 'cr0': PG (bit 31) is clear; mmu walk models 4-level paging");
        if (!state.Cr4.Pae) throw new ScenarioException($"{path}: field 'cr4': PAE (bit 5) is clear; 4-level paging needs it");
        if (!state.Efer.Lme) throw new ScenarioException($"{path}: field 'efer': LME (bit 8) is clear; 4-level paging needs it");
        if ((state.Cr4.Value & (1UL << 12)) != 0) throw new ScenarioException($"{path}: field 'cr4': LA57 (bit 12): 5-level paging is not implemented");
        return new WalkScenario
        {
            Path = path, Json = obj, Image = image, ImageBase = imageBase, RamBase = ramBase, RamSize = ramSize,
            State = state, Cases = ReadCases(path, f.Array("cases", "an array of {\"va\": \"0x...\", \"access\": \"r\", \"cpl\": 3, \"ac\": 0}")),
        };
    }

    private static List<WalkCase> ReadCases(string path, JsonArray cases)
    {
        var list = new List<WalkCase>(cases.Count);
        for (int i = 0; i < cases.Count; i++)
        {
            string at = $"cases[{i}]";
            if (cases[i] is not JsonObject c) throw new ScenarioException($"{path}: {at}: must be an object with 'va', 'access' and 'cpl'");
            if (!c.ContainsKey("va")) throw new ScenarioException($"{path}: {at}.va is missing");
            ulong va = Scenario.ParseU64(path, $"{at}.va", c["va"]);
            string? access = c["access"] is JsonValue av && av.TryGetValue(out string? s) ? s : null;
            var type = access switch
            {
                "r" => AccessType.Read,
                "w" => AccessType.Write,
                "x" => AccessType.Execute,
                _ => throw new ScenarioException($"{path}: {at}.access: {(access is null ? "missing or not a string" : $"'{access}'")} must be r, w or x"),
            };
            ulong cpl = c.ContainsKey("cpl") ? Scenario.ParseU64(path, $"{at}.cpl", c["cpl"]) : 0;
            if (cpl is not (0 or 1 or 2 or 3)) throw new ScenarioException($"{path}: {at}.cpl: {cpl} is not 0 to 3");
            ulong ac = c.ContainsKey("ac") ? Scenario.ParseU64(path, $"{at}.ac", c["ac"]) : 0;
            if (ac > 1) throw new ScenarioException($"{path}: {at}.ac: {ac} must be 0 or 1");
            list.Add(new WalkCase(va, type, cpl == 3 ? 3 : 0, ac == 1));   // CPL 1 and 2 are supervisor modes, as 0
        }
        return list;
    }
}
