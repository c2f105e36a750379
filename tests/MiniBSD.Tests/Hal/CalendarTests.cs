using CsCheck;
using MiniBSD.Hal.Timing;

namespace MiniBSD.Tests.Hal;

/// <summary>
/// The busy calendar of a shared resource (a mutex's holds, the interconnect's DVM broadcasts): each request gets the
/// first gap that holds it at or after its time, holds never overlap, and forgetting what every CPU has passed changes
/// no later answer. Checked against the plain definition: scan every interval kept, in order.
/// </summary>
public sealed class CalendarTests
{
    /// <summary>The definition, written the simplest way (what the calendar did before its binary search).</summary>
    private sealed class Naive
    {
        private readonly List<(long Start, long End)> _busy = [];

        public long Reserve(long at, long length)
        {
            long start = at;
            foreach (var (s, e) in _busy)
            {
                if (e <= start) continue;
                if (s >= start + length) break;
                start = e;
            }
            int i = _busy.Count;
            while (i > 0 && _busy[i - 1].Start > start) i--;
            _busy.Insert(i, (start, start + length));
            return start;
        }
    }

    [Fact]
    public void A_request_gets_the_first_gap_that_holds_it()
    {
        var c = new Calendar();
        Assert.Equal(100, c.Reserve(100, 50));   // [100, 150)
        Assert.Equal(300, c.Reserve(300, 50));   // [300, 350)
        Assert.Equal(150, c.Reserve(120, 100));  // after the first hold, in the gap before the second: [150, 250)
        Assert.Equal(350, c.Reserve(260, 60));   // [250, 300) is too short for 60: [350, 410)
        Assert.Equal(0, c.Reserve(0, 50));       // the gap before the first hold holds it
        Assert.Equal(410, c.Reserve(0, 120));    // no gap of 120 before the last hold ends
    }

    [Fact]
    public void It_answers_as_the_definition_does_and_forgetting_the_past_changes_nothing()
    {
        Gen.Select(Gen.Int[0, 2_000], Gen.Int[1, 300], Gen.Bool).Array[1, 300].Sample(requests =>
        {
            var fast = new Calendar();
            var naive = new Naive();
            long horizon = 0;
            foreach (var (offset, length, forget) in requests)
            {
                long at = horizon + offset;   // no request comes before what every CPU has passed
                Assert.Equal(naive.Reserve(at, length), fast.Reserve(at, length));
                if (forget)
                {
                    horizon = at;
                    fast.Forget(horizon);
                }
            }
        });
    }
}
