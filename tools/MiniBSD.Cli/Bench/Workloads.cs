namespace MiniBSD.Cli.Bench;

/// <summary>The workload scripts of the repository's workloads/ folder, built into the command, by name.</summary>
public static class Workloads
{
    /// <summary>The names bench exit knows: build, configure, exitstorm.</summary>
    public static IReadOnlyList<string> Names { get; } = typeof(Workloads).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("workloads/", StringComparison.Ordinal) && n.EndsWith(".sh", StringComparison.Ordinal))
        .Select(n => n["workloads/".Length..^".sh".Length]).Order(StringComparer.Ordinal).ToList();

    /// <summary>The script of a named workload, or of a script file; null with <paramref name="error"/> otherwise.</summary>
    public static string? Load(string nameOrPath, out string name, out string? error)
    {
        error = null;
        name = nameOrPath;
        if (Names.Contains(nameOrPath))
        {
            using var stream = typeof(Workloads).Assembly.GetManifestResourceStream($"workloads/{nameOrPath}.sh")!;
            return new StreamReader(stream).ReadToEnd();
        }
        if (!nameOrPath.EndsWith(".sh", StringComparison.Ordinal) && !nameOrPath.Contains('/'))
        {
            error = $"--workload {nameOrPath}: not one of {string.Join(", ", Names)} (or a script file)";
            return null;
        }
        name = Path.GetFileNameWithoutExtension(nameOrPath);
        string? text = Host.HostFiles.ReadText(nameOrPath, out string? problem);
        if (text is null) error = $"--workload {problem}";
        return text;
    }
}
