using System.Globalization;

namespace SatsMotion.Video.Models;

/// <summary>The live models; the first is the default. Callers name a model by numeric id or slug.</summary>
public sealed class ModelCatalog
{
    private readonly List<IVideoModel> _models;

    public ModelCatalog(IEnumerable<IVideoModel> models)
    {
        _models = models.ToList();
        if (_models.Count == 0)
        {
            throw new ArgumentException("the catalog needs at least one model");
        }

        if (_models.DistinctBy(m => m.Descriptor.Id).Count() != _models.Count
            || _models.DistinctBy(m => m.Descriptor.Slug.ToLowerInvariant()).Count() != _models.Count)
        {
            throw new ArgumentException("two models share an id or a slug");
        }
    }

    public IVideoModel Default => _models[0];

    public IReadOnlyList<IVideoModel> All => _models;

    /// <summary>Finds a model by slug (any case) or numeric id given as text; null when unknown.</summary>
    public IVideoModel? Find(string idOrSlug)
    {
        var key = idOrSlug.Trim();
        if (int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return _models.FirstOrDefault(m => m.Descriptor.Id == id);
        }

        return _models.FirstOrDefault(m => string.Equals(m.Descriptor.Slug, key, StringComparison.OrdinalIgnoreCase));
    }
}
