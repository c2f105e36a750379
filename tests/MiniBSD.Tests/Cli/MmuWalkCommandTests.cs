using System.Text.Json.Nodes;
using MiniBSD.Cli.MmuWalk;
using MiniBSD.Hal.Memory;
using MiniBSD.Hal.X86;
using MiniBSD.Tests.Hal;

namespace MiniBSD.Tests.Cli;

public sealed class MmuWalkCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minibsd-mmu-walk").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(IReadOnlyList<string> files, string? outDir = null, bool explain = false, string arch = "amd64")
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = MmuWalkCommand.Run(arch, files, outDir, explain, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string Example => Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "examples", "mmu-walk");

    [Fact]
    public void The_example_gives_the_output_kept_beside_it()
    {
        var (code, output, err) = Run([Path.Combine(Example, "example.json")]);
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.Equal(File.ReadAllText(Path.Combine(Example, "example.expected.json")), output);
        var cases = (JsonArray)JsonNode.Parse(output)!["cases"]!;
        Assert.Equal("0x200018", (string?)cases[0]!["pa"]);
        Assert.Equal("0x7", (string?)cases[2]!["pf"]);           // user write to a read-only 1 GiB page: P W U
        Assert.Equal("0xd", (string?)cases[6]!["pf"]);           // a reserved bit: P U RSVD
        Assert.True((bool)cases[9]!["gp"]!);
    }

    [Fact]
    public void Explain_names_every_entry_and_the_reason()
    {
        var (code, _, err) = Run([Path.Combine(Example, "example.json")], explain: true);
        Assert.Equal(0, code);
        Assert.Contains("PTE  : table 0x103000[3] @ 0x103018 = 0x0000000000200007  4 KiB page 0x200000 RW U", err);
        Assert.Contains("rights U RO do not allow a CPL3 write: #PF error code 0x7 (P W U)", err);
        Assert.Contains("is not canonical (bits 63:47 differ): #GP(0)", err);
    }

    [Theory]
    [InlineData("""{"arch": "amd64", "image": "t.bin", "image_base": "0x0", "cr0": "0x80000001", "cr3": "0x0", "cr4": "0x20", "cases": []}""", "field 'efer' is missing")]
    [InlineData("""{"arch": "amd64", "image": "t.bin", "image_base": "0x0", "cr0": "0x1", "cr3": "0x0", "cr4": "0x20", "efer": "0x100", "cases": []}""", "field 'cr0': PG (bit 31) is clear")]
    [InlineData("""{"arch": "amd64", "image": "t.bin", "image_base": "0x0", "cr0": "0x80000001", "cr3": "0x0", "cr4": "0x20", "efer": "0x100", "cases": [{"va": "0x0", "access": "q"}]}""", "cases[0].access: 'q' must be r, w or x")]
    [InlineData("""{"arch": "amd64", "image": "t.bin", "image_base": "0x0", "pa_bits": 60, "cr0": "0x80000001", "cr3": "0x0", "cr4": "0x20", "efer": "0x100", "cases": []}""", "field 'pa_bits': 60")]
    [InlineData("""{"arch": "arm64", "image": "t.bin", "image_base": "0x0", "cases": []}""", "field 'arch': 'arm64' is not amd64")]
    public void A_bad_scenario_is_one_line_naming_the_field_and_nothing_is_written(string json, string message)
    {
        File.WriteAllBytes(Path.Combine(_dir, "t.bin"), new byte[4096]);
        string file = Path.Combine(_dir, "s.json");
        File.WriteAllText(file, json);
        var (code, output, err) = Run([file], outDir: Path.Combine(_dir, "out"));
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains(message, err);
        Assert.Single(err.TrimEnd().Split('\n'));
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
    }

    [Fact]
    public void Arm64_is_refused_with_a_pointer_to_mmu_at()
    {
        var (code, _, err) = Run(["x.json"], arch: "arm64");
        Assert.Equal(2, code);
        Assert.Contains("mmu at", err);
    }

    /// <summary>Random images through the command, case by case against the independent reference walker.</summary>
    [Fact]
    public void Random_scenarios_agree_with_the_reference_walker()
    {
        for (int seed = 1; seed <= 20; seed++)
        {
            var rng = new Random(seed);
            const ulong imageBase = 0x10_0000;
            var image = new byte[8 * 4096];
            int paBits = new[] { 36, 40, 46, 52 }[rng.Next(4)];
            for (int t = 0; t < 8; t++)
                for (int i = 0; i < 3; i++)
                {
                    ulong next = t < 6 ? imageBase + (ulong)rng.Next(t + 1, 8) * 4096 : (ulong)rng.Next(1 << 20) << 12;
                    ulong e = next & ((1UL << paBits) - 1) | (uint)rng.Next(0, 8) | (rng.Next(5) == 0 ? PageEntry.PS : 0) | (rng.Next(6) == 0 ? PageEntry.XD : 0);
                    if (rng.Next(8) == 0) e |= 1UL << rng.Next(12, 52);
                    BitConverter.TryWriteBytes(image.AsSpan(t * 4096 + i * 8), e | (rng.Next(10) == 0 ? 0 : 1UL));
                }
            File.WriteAllBytes(Path.Combine(_dir, "r.bin"), image);
            var regs = new X86ReferenceWalker.Regs(0x8000_0001 | (rng.Next(2) == 0 ? Cr0.WpBit : 0), imageBase, Cr4.PaeBit | (ulong)(uint)rng.Next(4) << 20,
                Efer.LmeBit | (rng.Next(2) == 0 ? Efer.NxeBit : 0), paBits);
            var cases = new JsonArray();
            for (int i = 0; i < 30; i++)
            {
                ulong va = (ulong)(uint)rng.Next(3) << 39 | (ulong)(uint)rng.Next(3) << 30 | (ulong)(uint)rng.Next(3) << 21 | (ulong)(uint)rng.Next(3) << 12 | (uint)rng.Next(4096);
                if (rng.Next(10) == 0) va |= 1UL << 47;
                cases.Add(new JsonObject { ["va"] = $"0x{va:x}", ["access"] = "rwx"[rng.Next(3)].ToString(), ["cpl"] = rng.Next(2) * 3, ["ac"] = rng.Next(2) });
            }
            var scenario = new JsonObject
            {
                ["arch"] = "amd64", ["image"] = "r.bin", ["image_base"] = $"0x{imageBase:x}", ["pa_bits"] = paBits,
                ["cr0"] = $"0x{regs.Cr0:x}", ["cr3"] = $"0x{regs.Cr3:x}", ["cr4"] = $"0x{regs.Cr4:x}", ["efer"] = $"0x{regs.Efer:x}", ["cases"] = cases,
            };
            string file = Path.Combine(_dir, "r.json");
            File.WriteAllText(file, scenario.ToJsonString());
            var (code, output, err) = Run([file]);
            Assert.True(code == 0, err);
            var results = (JsonArray)JsonNode.Parse(output)!["cases"]!;
            var ram = new PhysicalMemory(512 * 1024 * 1024, 0);
            ram.WriteBytes(imageBase, image);
            for (int i = 0; i < results.Count; i++)
            {
                var c = results[i]!;
                ulong va = Convert.ToUInt64(((string)c["va"]!)[2..], 16);
                var expected = X86ReferenceWalker.Translate(ram, regs, va, ((string)c["access"]!)[0], (int)c["cpl"]!, (int)c["ac"]! == 1);
                string want = expected.Gp ? "gp" : expected.Pa is { } pa ? $"pa 0x{pa:x}" : $"pf 0x{expected.Pf:x}";
                string got = c["gp"] is not null ? "gp" : c["pa"] is { } p ? $"pa {p}" : $"pf {c["pf"]}";
                Assert.True(want == got, $"seed {seed} case {i} va 0x{va:x}: reference {want}, mmu walk {got}");
            }
        }
    }
}
