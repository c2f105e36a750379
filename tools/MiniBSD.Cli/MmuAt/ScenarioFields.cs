using System.Text.Json.Nodes;
using MiniBSD.Hal.Isa;

namespace MiniBSD.Cli.MmuAt;

/// <summary>Reads fields of the scenario object, naming the field in every error.</summary>
internal sealed class ScenarioFields(string path, JsonObject obj)
{
    public string String(string name) =>
        obj[name] is JsonValue v && v.TryGetValue(out string? s) && s.Length > 0
            ? s : throw new ScenarioException($"{path}: field '{name}': {Missing(obj, name)} (a file name string)");

    public ulong U64(string name, ulong? fallback = null)
    {
        if (!obj.ContainsKey(name))
            return fallback ?? throw new ScenarioException($"{path}: field '{name}' is missing (a hex string such as \"0x40000000\")");
        return Scenario.ParseU64(path, name, obj[name]);
    }

    public List<ScenarioCase> AtCases()
    {
        if (obj["cases"] is not JsonArray cases) throw new ScenarioException($"{path}: field 'cases': {Missing(obj, "cases")} (an array of {{\"va\": \"0x...\", \"op\": \"e1r\"}})");
        var list = new List<ScenarioCase>(cases.Count);
        for (int i = 0; i < cases.Count; i++)
        {
            string at = $"cases[{i}]";
            if (cases[i] is not JsonObject c) throw new ScenarioException($"{path}: {at}: must be an object with 'va' and 'op'");
            if (!c.ContainsKey("va")) throw new ScenarioException($"{path}: {at}.va is missing");
            ulong va = Scenario.ParseU64(path, $"{at}.va", c["va"]);
            string? op = c["op"] is JsonValue ov && ov.TryGetValue(out string? o) ? o : null;
            var atOp = op switch
            {
                "e1r" => AtOp.S1E1R,
                "e1w" => AtOp.S1E1W,
                "e0r" => AtOp.S1E0R,
                "e0w" => AtOp.S1E0W,
                _ => throw new ScenarioException($"{path}: {at}.op: {(op is null ? "missing or not a string" : $"'{op}'")} must be one of e1r, e1w, e0r, e0w"),
            };
            list.Add(new ScenarioCase(va, atOp));
        }
        return list;
    }

    /// <summary>The JSON object of cases[i], or an error naming it.</summary>
    public JsonArray Array(string name, string shape) =>
        obj[name] as JsonArray ?? throw new ScenarioException($"{path}: field '{name}': {Missing(obj, name)} ({shape})");

    internal static string Missing(JsonObject o, string name) => o.ContainsKey(name) ? "has the wrong type" : "is missing";
}
