using MiniBSD.Kernel.Kern;

namespace MiniBSD.Tests.Kernel;

/// <summary>The exit path's figures: deadproc's length over time and its time-weighted mean.</summary>
public sealed class ExitStatsTests
{
    [Fact]
    public void The_dead_list_mean_weighs_each_length_by_how_long_it_lasted()
    {
        var s = new ExitStats();
        s.DeadListLength(100, 1);   // 0 for [0, 100)
        s.DeadListLength(300, 3);   // 1 for [100, 300)
        s.DeadListLength(400, 0);   // 3 for [300, 400)
        Assert.Equal((0 * 100 + 1 * 200 + 3 * 100) / 1000.0, s.MeanDeadList(1000), 9);   // then 0 until 1000
        Assert.Equal(3, s.MaxDeadList);
        Assert.Equal([(0L, 0), (100L, 1), (300L, 3), (400L, 0)], s.DeadList);
        s.DeadListLength(350, 2);   // another CPU's clock a little behind: kept in order at 400
        Assert.Equal((400L, 2), s.DeadList[^1]);
    }

    [Fact]
    public void The_series_stays_bounded_and_ends_with_the_latest_length()
    {
        var s = new ExitStats();
        for (int i = 1; i <= 100_000; i++) s.DeadListLength(i * 10, i % 7);
        Assert.True(s.DeadList.Count < ExitStats.DeadListPoints);
        Assert.Equal((1_000_000L, 100_000 % 7), s.DeadList[^1]);
        Assert.Equal(6, s.MaxDeadList);
        Assert.Equal(Enumerable.Range(0, 100_000).Sum(i => (long)(i % 7) * 10) / 1_000_000.0, s.MeanDeadList(1_000_000), 9);
    }
}
