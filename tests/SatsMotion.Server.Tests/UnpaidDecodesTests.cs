using SatsMotion.Server.Hardening;

namespace SatsMotion.Server.Tests;

/// <summary>Anonymous decodes share a few slots: one that waits too long is turned away, and a freed slot is reused.</summary>
public sealed class UnpaidDecodesTests
{
    [Fact]
    public async Task A_decode_that_finds_no_free_slot_in_time_is_turned_away()
    {
        var decodes = new UnpaidDecodes(1, TimeSpan.FromMilliseconds(100));
        using var release = new ManualResetEventSlim();
        var holder = Task.Run(() => decodes.RunAsync(() => release.Wait(TimeSpan.FromSeconds(10)), CancellationToken.None));
        await Task.Delay(50);
        var (ran, _) = await decodes.RunAsync(() => 1, CancellationToken.None);
        Assert.False(ran);

        release.Set();
        await holder;
        var (after, value) = await decodes.RunAsync(() => 2, CancellationToken.None);
        Assert.True(after);
        Assert.Equal(2, value);
    }
}
