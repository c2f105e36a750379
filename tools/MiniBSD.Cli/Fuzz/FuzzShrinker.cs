namespace MiniBSD.Cli.Fuzz;

/// <summary>
/// Delta debugging (Zeller's ddmin, simplified): removes ever smaller chunks of a failing program while it still
/// fails, so the lines left are the ones the failure needs. Resources are named by index (Fk, Ck), so a program
/// with lines removed still runs. Bounded in runs, so a slow failure still ends.
/// </summary>
public static class FuzzShrinker
{
    public static IReadOnlyList<string> Shrink(IReadOnlyList<string> program, Func<IReadOnlyList<string>, bool> fails, int maxRuns = 300)
    {
        var current = program.ToList();
        int runs = 0;
        for (int chunk = Math.Max(1, current.Count / 2); chunk >= 1 && runs < maxRuns; chunk /= 2)
        {
            for (int start = 0; start < current.Count && runs < maxRuns;)
            {
                var without = current.Take(start).Concat(current.Skip(start + chunk)).ToList();
                runs++;
                if (without.Count < current.Count && fails(without)) current = without;   // keep the smaller program; same start
                else start += chunk;
            }
        }
        return current;
    }
}
