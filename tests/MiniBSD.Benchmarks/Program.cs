using BenchmarkDotNet.Running;

namespace MiniBSD.Benchmarks;

/// <summary>Runs the benchmarks: <c>dotnet run -c Release --project tests/MiniBSD.Benchmarks -- --filter '*'</c>.</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
