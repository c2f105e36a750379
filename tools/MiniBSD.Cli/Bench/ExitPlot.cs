using System.Globalization;
using System.Security;
using System.Text;
using MiniBSD.Cli.Boot;
using MiniBSD.Hal;
using MiniBSD.Kernel.Kern;

namespace MiniBSD.Cli.Bench;

/// <summary>
/// The SVG of <c>bench exit</c>: two panels, simulated time and mean exit latency against the CPU count (evenly
/// spaced, as the counts usually double), one line an exit path, each point the mean over the seeds.
/// </summary>
public static class ExitPlot
{
    private const int PanelWidth = 420, PanelHeight = 300, Left = 60, Top = 40, Bottom = 50, Gap = 40;
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];

    public static string Svg(ExitBench.Matrix m, IReadOnlyList<RunReport> reports)
    {
        // The whole model at the sweep's first value: ablations and the sweep are in the tables.
        reports = reports.Where(r => r.Ablated == "none" && r.Params == m.ParamsFor(m.SweepValues[0])).ToList();
        var series = Series(m);
        int width = Left + 2 * PanelWidth + Gap + 20, height = Top + PanelHeight + Bottom + 20 * series.Count;
        var s = new StringBuilder();
        s.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        s.Append(Inv($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"));
        Panel(s, m, series, reports, Left, $"{m.Workload}: simulated time (ms)", r => r.SimulatedMs);
        Panel(s, m, series, reports, Left + PanelWidth + Gap, $"{m.Workload}: exit latency, exit1 to wait4 (mean µs)", r => r.Exit.LatencyMeanUs);
        for (int i = 0; i < series.Count; i++)
        {
            int y = Top + PanelHeight + Bottom + 20 * i;
            s.Append(Inv($"<line x1=\"{Left}\" y1=\"{y - 4}\" x2=\"{Left + 24}\" y2=\"{y - 4}\" stroke=\"{series[i].Color}\" stroke-width=\"2\"{series[i].Dash}/>"));
            s.Append(Inv($"<text x=\"{Left + 30}\" y=\"{y}\">{series[i].Label}</text>\n"));
        }
        s.Append("</svg>\n");
        return s.ToString();
    }

    /// <summary>One line of the plot: an exit path on an architecture (amd64 dashed when both are drawn).</summary>
    private sealed record Line(string Arch, string Path, string Label, string Color, string Dash);

    private static List<Line> Series(ExitBench.Matrix m) =>
        (from a in m.Archs
         from p in m.Paths.Select((path, i) => (path, i))
         select new Line(a.Name(), p.path.Name(), m.Archs.Count > 1 ? $"{a.Name()} {p.path.Name()}" : p.path.Name(), Colors[p.i % Colors.Length],
             a == Arch.Amd64 && m.Archs.Count > 1 ? " stroke-dasharray=\"6 3\"" : "")).ToList();

    private static void Panel(StringBuilder s, ExitBench.Matrix m, List<Line> series, IReadOnlyList<RunReport> reports, int x0, string title, Func<RunReport, double> value)
    {
        var cell = (int cpus, Line l) => reports.Where(r => r.Cpus == cpus && r.ExitPath == l.Path && r.Arch == l.Arch).ToList();
        double Mean(int cpus, Line l) => cell(cpus, l).Average(value);
        bool Failed(int cpus, Line l) => cell(cpus, l).Any(r => r.Failed);
        double max = m.Cpus.SelectMany(c => series.Where(l => !Failed(c, l)).Select(l => Mean(c, l))).DefaultIfEmpty(0).Max();
        double top = NiceCeiling(max);
        int plotWidth = PanelWidth - 20, y0 = Top + PanelHeight;
        double X(int i) => x0 + (m.Cpus.Count == 1 ? plotWidth / 2.0 : plotWidth * i / (double)(m.Cpus.Count - 1));
        double Y(double v) => y0 - (top == 0 ? 0 : PanelHeight * v / top);
        s.Append(Inv($"<text x=\"{x0}\" y=\"{Top - 15}\" font-weight=\"bold\">{SecurityElement.Escape(title)}</text>\n"));
        s.Append(Inv($"<line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x0 + plotWidth}\" y2=\"{y0}\" stroke=\"black\"/><line x1=\"{x0}\" y1=\"{Top}\" x2=\"{x0}\" y2=\"{y0}\" stroke=\"black\"/>\n"));
        for (int k = 0; k <= 4; k++)
        {
            double v = top * k / 4;
            s.Append(Inv($"<line x1=\"{x0}\" y1=\"{Y(v):F1}\" x2=\"{x0 + plotWidth}\" y2=\"{Y(v):F1}\" stroke=\"#ddd\"/>"));
            s.Append(Inv($"<text x=\"{x0 - 6}\" y=\"{Y(v) + 4:F1}\" text-anchor=\"end\">{v:G4}</text>\n"));
        }
        for (int i = 0; i < m.Cpus.Count; i++)
            s.Append(Inv($"<text x=\"{X(i):F1}\" y=\"{y0 + 18}\" text-anchor=\"middle\">{m.Cpus[i]}</text>\n"));
        s.Append(Inv($"<text x=\"{x0 + plotWidth / 2}\" y=\"{y0 + 36}\" text-anchor=\"middle\">CPUs</text>\n"));
        foreach (var line in series)
        {
            string name = line.Label, color = line.Color;
            // A failed cell has no figure: the line breaks there and the cell is an X on the axis.
            var runs = new List<List<string>> { new() };
            for (int i = 0; i < m.Cpus.Count; i++)
                if (Failed(m.Cpus[i], line)) runs.Add([]);
                else runs[^1].Add(Inv($"{X(i):F1},{Y(Mean(m.Cpus[i], line)):F1}"));
            foreach (var run in runs.Where(r => r.Count > 0))
                s.Append(Inv($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{line.Dash} points=\"{string.Join(' ', run)}\"/>\n"));
            for (int i = 0; i < m.Cpus.Count; i++)
                if (Failed(m.Cpus[i], line))
                    s.Append(Inv($"<text x=\"{X(i):F1}\" y=\"{y0 - 4}\" text-anchor=\"middle\" fill=\"{color}\" font-weight=\"bold\">X<title>{name}, {m.Cpus[i]} CPUs: FAILED</title></text>\n"));
                else s.Append(Inv($"<circle cx=\"{X(i):F1}\" cy=\"{Y(Mean(m.Cpus[i], line)):F1}\" r=\"3\" fill=\"{color}\"><title>{name}, {m.Cpus[i]} CPUs: {Mean(m.Cpus[i], line):G5}</title></circle>\n"));
        }
    }

    /// <summary>1, 2 or 5 times a power of ten, at or above <paramref name="v"/>.</summary>
    private static double NiceCeiling(double v)
    {
        if (v <= 0) return 1;
        double p = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (double f in (double[])[1, 2, 5, 10])
            if (f * p >= v) return f * p;
        return 10 * p;
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
