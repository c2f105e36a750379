using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MiniBSD.Hal;
using MiniBSD.Hal.Isa;

namespace MiniBSD.Cli.MmuAt;

/// <summary>One AT to perform: the VA and which of AT S1E1R, S1E1W, S1E0R, S1E0W.</summary>
public readonly record struct ScenarioCase(ulong Va, AtOp Op);

/// <summary>
/// A translation scenario for <c>minibsd mmu at</c>: a raw memory image placed at <see cref="ImageBase"/> in RAM,
/// the MMU registers, and the cases. Hex strings hold 64-bit values. Optional fields: pa_bits (48), asid_bits (16),
/// ram_base (0x40000000), ram_size (512 MiB).
/// </summary>
public sealed class Scenario
{
    public required string Path { get; init; }
    public required JsonObject Json { get; init; }
    public required byte[] Image { get; init; }
    public required ulong ImageBase { get; init; }
    public required int PaBits { get; init; }
    public required int AsidBits { get; init; }
    public required ulong RamBase { get; init; }
    public required ulong RamSize { get; init; }
    public required ulong Ttbr0 { get; init; }
    public required ulong Ttbr1 { get; init; }
    public required ulong Tcr { get; init; }
    public required ulong Mair { get; init; }
    public required ulong Sctlr { get; init; }
    public required IReadOnlyList<ScenarioCase> Cases { get; init; }

    public static readonly ulong DefaultRamSize = 512 * MachineConfig.MiB;

    /// <summary>Reads and checks a scenario file; every problem is a <see cref="ScenarioException"/> naming the file and field.</summary>
    public static Scenario Load(string path)
    {
        var (obj, image) = ReadJsonAndImage(path);
        var reader = new ScenarioFields(path, obj);
        var s = new Scenario
        {
            Path = path,
            Json = obj,
            Image = image,
            ImageBase = reader.U64("image_base"),
            PaBits = (int)reader.U64("pa_bits", 48),
            AsidBits = (int)reader.U64("asid_bits", 16),
            RamBase = reader.U64("ram_base", MiniBSD.Hal.Memory.PhysicalMemory.DefaultBase),
            RamSize = reader.U64("ram_size", DefaultRamSize),
            Ttbr0 = reader.U64("ttbr0"),
            Ttbr1 = reader.U64("ttbr1"),
            Tcr = reader.U64("tcr"),
            Mair = reader.U64("mair"),
            Sctlr = reader.U64("sctlr"),
            Cases = reader.AtCases(),
        };
        s.CheckMachineFields();
        return s;
    }

    /// <summary>
    /// Reads a scenario file's JSON object and the raw image its "image" field names (relative to the file); every
    /// problem is a <see cref="ScenarioException"/> naming the file and field. Shared by mmu at and mmu walk.
    /// </summary>
    internal static (JsonObject Json, byte[] Image) ReadJsonAndImage(string path)
    {
        string text = Host.HostFiles.ReadText(path, out string? error) ?? throw new ScenarioException(error!);
        JsonNode? root;
        try { root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new ScenarioException($"{path}:{e.LineNumber + 1}:{e.BytePositionInLine + 1}: malformed JSON: {FirstSentence(e.Message)}", e); }
        if (root is not JsonObject obj) throw new ScenarioException($"{path}: the scenario must be a JSON object");
        string imageName = new ScenarioFields(path, obj).String("image");
        string imagePath = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? ".", imageName);
        if (!File.Exists(imagePath)) throw new ScenarioException($"{path}: field 'image': file '{imageName}' not found (looked for {imagePath})");
        byte[] image;
        try { image = File.ReadAllBytes(imagePath); }
        catch (Exception e) when (Host.HostFiles.IsHostError(e)) { throw new ScenarioException($"{path}: field 'image': cannot read '{imageName}': {Host.HostFiles.Reason(e)}", e); }
        return (obj, image);
    }

    private void CheckMachineFields()
    {
        if (PaBits is not (32 or 36 or 40 or 42 or 44 or 48))
            throw new ScenarioException($"{Path}: field 'pa_bits': {PaBits} is not a PARange width (32, 36, 40, 42, 44 or 48)");
        if (AsidBits is not (8 or 16))
            throw new ScenarioException($"{Path}: field 'asid_bits': {AsidBits} must be 8 or 16");
        if (RamSize % 4096 != 0 || RamBase % 4096 != 0)
            throw new ScenarioException($"{Path}: fields 'ram_base'/'ram_size' must be multiples of 4 KiB");
        if (RamSize < MachineConfig.MiB || RamSize > 64 * MachineConfig.GiB)
            throw new ScenarioException($"{Path}: field 'ram_size': 0x{RamSize:X} is not between 1 MiB and 64 GiB");
        if (RamBase + RamSize > 1UL << PaBits || RamBase + RamSize < RamBase)
            throw new ScenarioException($"{Path}: RAM [0x{RamBase:X}, 0x{RamBase + RamSize:X}) does not fit 'pa_bits' {PaBits}");
        ulong length = (ulong)Image.LongLength;
        if (ImageBase < RamBase || length > RamSize || ImageBase - RamBase > RamSize - length)
            throw new ScenarioException($"{Path}: field 'image_base': the image [0x{ImageBase:X}, 0x{ImageBase + length:X}) is not inside RAM [0x{RamBase:X}, 0x{RamBase + RamSize:X})");
    }

    private static string FirstSentence(string message) => message.Split(" Path:", 2)[0];

    /// <summary>A 64-bit value: a "0x..." hex string, a decimal string, or a JSON whole number.</summary>
    internal static ulong ParseU64(string path, string field, JsonNode? node)
    {
        if (node is JsonValue v)
        {
            if (v.TryGetValue(out string? s))
            {
                if (TryParseNumber(s, out ulong value)) return value;
                throw new ScenarioException($"{path}: field '{field}': \"{s}\" is not a 64-bit hex (0x...) or decimal number");
            }
            if (v.TryGetValue(out ulong n)) return n;
        }
        throw new ScenarioException($"{path}: field '{field}': expected a hex string such as \"0x40000000\" or a whole number");
    }

    /// <summary>Parses "0x1234_abcd" (underscores allowed) or "1234".</summary>
    public static bool TryParseNumber(string text, out ulong value)
    {
        string t = text.Trim().Replace("_", "", StringComparison.Ordinal);
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return ulong.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        return ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
