using BenchmarkDotNet.Running;

namespace MiniBSD.Benchmarks;

/// <summary>
/// Runs the benchmarks: <c>dotnet run -c Release --project tests/MiniBSD.Benchmarks -- --filter '*'</c>, or prints the
/// simulated counts of the uvm scenarios with <c>-- --counts</c>.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["--counts"])
        {
            Counts.Print(Console.Out);
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
