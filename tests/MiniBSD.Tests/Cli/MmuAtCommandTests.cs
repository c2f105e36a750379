using System.Text.Json.Nodes;
using MiniBSD.Cli.MmuAt;
using MiniBSD.Hal.Mmu;

namespace MiniBSD.Tests.Cli;

/// <summary><c>minibsd mmu at</c>: results, the explainer, and clear errors with exit code 2.</summary>
public sealed class MmuAtCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minibsd-mmu-at").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A scenario with a 4-level TTBR0 tree at 0x48000000 mapping VA 0x1000 to PA 0x40010000 (user RW).</summary>
    private string Write(string name, string? json = null, Action<byte[]>? patch = null)
    {
        var image = new byte[0x4000];
        void Put(int off, ulong v) => BitConverter.TryWriteBytes(image.AsSpan(off), v);
        Put(0x0000, Descriptor.Table(0x4800_1000).Value);
        Put(0x1000, Descriptor.Table(0x4800_2000).Value);
        Put(0x2000, Descriptor.Table(0x4800_3000).Value);
        Put(0x3008, Descriptor.Page(0x4001_0000, 0b01, ng: true).Value);
        patch?.Invoke(image);
        File.WriteAllBytes(Path.Combine(_dir, "tables.bin"), image);
        json ??= """
        {"image": "tables.bin", "image_base": "0x48000000", "pa_bits": 44, "asid_bits": 16,
         "ttbr0": "0x0000000048000000", "ttbr1": "0x0", "tcr": "0x00000015B5103510", "mair": "0x44FF", "sctlr": "0x1",
         "cases": [{"va": "0x1234", "op": "e0w"}, {"va": "0x2000", "op": "e1r"}, {"va": "0xFFFF000000000000", "op": "e1r"}],
         "note": "kept as is"}
        """;
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    private static (int Code, string Out, string Err) Run(IReadOnlyList<string> files, string? outDir = null, bool explain = false)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = MmuAtCommand.Run(files, outDir, explain, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Adds_par_to_every_case_and_keeps_the_rest()
    {
        var (code, output, err) = Run([Write("s.json")]);
        Assert.Equal(0, code);
        Assert.Equal("", err);
        var json = JsonNode.Parse(output)!.AsObject();
        var cases = json["cases"]!.AsArray();
        Assert.Equal("0xff00000040010b80", (string)cases[0]!["par"]!);   // Normal WB, inner shareable, NS, bit 11
        Assert.Equal("0x000000000000080f", (string)cases[1]!["par"]!);   // translation fault, level 3
        // TTBR1 = 0: the L0 descriptor would be read at PA 0, where there is no RAM: a Data Abort, PAR_EL1 unchanged.
        Assert.Equal("0x000000000000080f", (string)cases[2]!["par"]!);
        Assert.Equal("0x0000000096000154", (string)cases[2]!["exception"]!["esr"]!);
        Assert.Equal("kept as is", (string)json["note"]!);
        Assert.Equal("0x48000000", (string)json["image_base"]!);
    }

    [Fact]
    public void Explain_prints_each_level_and_why_the_walk_ended()
    {
        var (code, _, err) = Run([Write("s.json")], explain: true);
        Assert.Equal(0, code);
        Assert.Contains("case 0: AT S1E0W, VA 0x0000000000001234", err);
        Assert.Contains("L0: table 0x48000000[0] @ 0x48000000 = 0x0000000048001003  table -> 0x48001000", err);
        Assert.Contains("L3: table 0x48003000[1] @ 0x48003008 = 0x0000000040010F43  page -> 0x40010000", err);
        Assert.Contains("walk ends: level 3: invalid (bit 0 = 0): translation fault, level 3", err);
    }

    [Fact]
    public void A_walk_outside_ram_takes_a_data_abort_and_leaves_par()
    {
        string path = Write("s.json", patch: img => BitConverter.TryWriteBytes(img.AsSpan(0x2000), Descriptor.Table(0x10_0000_0000).Value));
        var (code, output, _) = Run([path]);
        Assert.Equal(0, code);
        var first = JsonNode.Parse(output)!["cases"]![0]!;
        Assert.Equal("0x0000000000000000", (string)first["par"]!);
        Assert.Equal("0x0000000096000157", (string)first["exception"]!["esr"]!);
        Assert.Equal("0x0000000000001234", (string)first["exception"]!["far"]!);
    }

    [Fact]
    public void Several_files_go_to_out_dir_under_the_same_names()
    {
        string a = Write("a.json"), b = Write("b.json");
        string outDir = Path.Combine(_dir, "out");
        var (code, output, _) = Run([a, b], outDir);
        Assert.Equal(0, code);
        Assert.Equal("", output);
        Assert.True(File.Exists(Path.Combine(outDir, "a.json")));
        Assert.NotNull(JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "b.json")))!["cases"]![0]!["par"]);
        Assert.Equal(2, Run([a, b]).Code);
    }

    [Theory]
    [InlineData("{\"image\": \"tables.bin\",\n \"image_base\": }", "s.json:2:")]
    [InlineData("""{"image": "missing.bin", "image_base": "0x48000000", "ttbr0": "0", "ttbr1": "0", "tcr": "0", "mair": "0", "sctlr": "0", "cases": []}""", "field 'image': file 'missing.bin' not found")]
    [InlineData("""{"image": "tables.bin", "image_base": "0x7FFFF000", "ttbr0": "0", "ttbr1": "0", "tcr": "0", "mair": "0", "sctlr": "0", "cases": []}""", "field 'image_base'")]
    [InlineData("""{"image": "tables.bin", "image_base": "0x48000000", "ttbr0": "0xZZ", "ttbr1": "0", "tcr": "0", "mair": "0", "sctlr": "0", "cases": []}""", "field 'ttbr0'")]
    [InlineData("""{"image": "tables.bin", "image_base": "0x48000000", "ttbr0": "0", "ttbr1": "0", "tcr": "0", "mair": "0", "cases": []}""", "field 'sctlr' is missing")]
    [InlineData("""{"image": "tables.bin", "image_base": "0x48000000", "ttbr0": "0", "ttbr1": "0", "tcr": "0", "mair": "0", "sctlr": "0", "cases": [{"va": "0x0", "op": "e2r"}]}""", "cases[0].op: 'e2r' must be one of e1r, e1w, e0r, e0w")]
    [InlineData("""{"image": "tables.bin", "image_base": "0x48000000", "ttbr0": "0", "ttbr1": "0", "tcr": "0", "mair": "0", "sctlr": "0", "cases": [{"op": "e1r"}]}""", "cases[0].va is missing")]
    [InlineData("""{"image": "tables.bin", "image_base": "0x48000000", "pa_bits": 47, "ttbr0": "0", "ttbr1": "0", "tcr": "0", "mair": "0", "sctlr": "0", "cases": []}""", "field 'pa_bits'")]
    [InlineData("""{"image": "tables.bin", "image_base": "0x48000000", "ttbr0": "0", "ttbr1": "0", "tcr": "0x4000", "mair": "0", "sctlr": "0", "cases": []}""", "field 'tcr': TCR_EL1.TG0=0b01 (64 KiB granule)")]
    [InlineData("[1, 2]", "must be a JSON object")]
    [InlineData("""{"image": "tables.bin", "image_base": "0x48000000", "ram_size": "0x2000000000000", "ttbr0": "0", "ttbr1": "0", "tcr": "0", "mair": "0", "sctlr": "0", "cases": []}""", "field 'ram_size'")]
    public void Bad_input_is_a_clear_error_naming_the_file_and_field_and_writes_nothing(string json, string expected)
    {
        string good = Write("good.json");
        string bad = Write("s.json", json);
        string outDir = Path.Combine(_dir, "out");
        var (code, output, err) = Run([good, bad], outDir);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("s.json", err);
        Assert.Contains(expected, err);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void The_shipped_example_gives_the_shipped_answers()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "MiniBSD.sln"))) root = Path.GetDirectoryName(root)!;
        string dir = Path.Combine(root, "examples", "mmu-at");
        var (code, output, _) = Run([Path.Combine(dir, "example.json")]);
        Assert.Equal(0, code);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "example.expected.json")).ReplaceLineEndings(), output.ReplaceLineEndings());
    }
}
