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
}
