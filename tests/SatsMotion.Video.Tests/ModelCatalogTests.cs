using SatsMotion.Video.Models;
using SatsMotion.Video.Motion;

namespace SatsMotion.Video.Tests;

public class ModelCatalogTests
{
    [Theory]
    [InlineData("1")]
    [InlineData("motion")]
    [InlineData("MOTION")]
    [InlineData(" motion ")]
    public void Finds_by_id_or_slug(string key)
    {
        var catalog = new ModelCatalog([new LocalMotionModel()]);
        Assert.Same(catalog.Default, catalog.Find(key));
    }

    [Theory]
    [InlineData("2")]
    [InlineData("-1")]
    [InlineData("1.0")]
    [InlineData("kling")]
    [InlineData("")]
    public void Unknown_models_are_not_found(string key)
    {
        Assert.Null(new ModelCatalog([new LocalMotionModel()]).Find(key));
    }

    [Fact]
    public void Duplicate_ids_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new ModelCatalog([new LocalMotionModel(), new LocalMotionModel()]));
        Assert.Throws<ArgumentException>(() => new ModelCatalog([]));
    }

    [Fact]
    public async Task A_model_whose_check_does_not_answer_in_time_is_unavailable_and_the_others_keep_their_answers()
    {
        var silent = new SilentModel();
        var catalog = new ModelCatalog([new LocalMotionModel(), silent]);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await catalog.CheckAvailabilityAsync(deadline.Token);

        Assert.True(catalog.AvailabilityOf(catalog.Default).Available);
        var availability = catalog.AvailabilityOf(silent);
        Assert.False(availability.Available);
        Assert.Contains("did not answer in time", availability.Reason);
    }

    /// <summary>A back-end that accepts the connection and never answers.</summary>
    private sealed class SilentModel : IVideoModel
    {
        public ModelDescriptor Descriptor { get; } = new(2, "silent", "Silent", "never answers", 100, [5], "mp4", IsAi: true);

        public Task<VideoResult> GenerateAsync(VideoJob job, IVideoJobTracker tracker, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public async Task<ModelAvailability> CheckAvailabilityAsync(CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return ModelAvailability.Yes;
        }
    }
}
