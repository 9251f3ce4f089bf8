using SatsMotion.Video.Remote;

namespace SatsMotion.Video.Tests;

/// <summary>
/// The provider keys pushes are checked against: read once and kept; read again after a failed check only when the
/// last read is 30 s old, however many checks fail meanwhile; a read that failed is not repeated at once either.
/// </summary>
public sealed class PublishedKeysTests
{
    private sealed class StepClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UnixEpoch.AddYears(50);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public async Task Failed_checks_read_the_keys_again_at_most_once_per_interval()
    {
        var clock = new StepClock();
        var reads = 0;
        var keys = new PublishedKeys<string>(_ => Task.FromResult($"key-{Interlocked.Increment(ref reads)}"), TimeSpan.FromHours(1), clock);

        var first = await keys.CurrentAsync(CancellationToken.None);
        var retried = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => keys.AfterFailureAsync(first, CancellationToken.None))));
        Assert.All(retried, Assert.Null);
        Assert.Equal(1, reads);

        // Half a minute on, one failed check reads them again; the others of the same burst try what it read.
        clock.Now += PublishedKeys<string>.RefetchInterval;
        var renewed = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => keys.AfterFailureAsync(first, CancellationToken.None))));
        Assert.All(renewed, k => Assert.Equal("key-2", k));
        Assert.Equal(2, reads);
        Assert.Null(await keys.AfterFailureAsync("key-2", CancellationToken.None));
        Assert.Equal("key-2", await keys.CurrentAsync(CancellationToken.None));
        Assert.Equal(2, reads);
    }

    [Fact]
    public async Task A_read_that_failed_is_not_repeated_within_the_interval()
    {
        var clock = new StepClock();
        var reads = 0;
        var keys = new PublishedKeys<string>(_ => Interlocked.Increment(ref reads) == 1 ? throw new HttpRequestException("provider away") : Task.FromResult("key"), TimeSpan.FromHours(1), clock);

        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => keys.CurrentAsync(CancellationToken.None));
        }

        Assert.Equal(1, reads);
        clock.Now += PublishedKeys<string>.RefetchInterval;
        Assert.Equal("key", await keys.CurrentAsync(CancellationToken.None));
        Assert.Equal(2, reads);
    }
}
