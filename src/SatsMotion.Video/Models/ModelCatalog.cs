using System.Collections.Concurrent;
using System.Globalization;

namespace SatsMotion.Video.Models;

/// <summary>
/// The live models and the default one. Callers name a model by numeric id or slug. Each model's availability is
/// what its last check said (available until checked).
/// </summary>
public sealed class ModelCatalog
{
    private readonly List<IVideoModel> _models;
    private readonly ConcurrentDictionary<int, ModelAvailability> _availability = new();

    public ModelCatalog(IEnumerable<IVideoModel> models, int defaultIndex = 0)
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

        Default = _models[defaultIndex];
    }

    public IVideoModel Default { get; }

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

    public ModelAvailability AvailabilityOf(IVideoModel model) => _availability.GetValueOrDefault(model.Descriptor.Id, ModelAvailability.Yes);

    /// <summary>Asks every model whether it can take work, and remembers the answers.</summary>
    public async Task CheckAvailabilityAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(_models.Select(async model =>
        {
            ModelAvailability availability;
            try
            {
                availability = await model.CheckAvailabilityAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // A back-end that does not answer within the check's time is not sold, and must not stop the server starting.
                availability = new ModelAvailability(false, "its availability check did not answer in time");
            }
            catch (Exception e)
            {
                availability = new ModelAvailability(false, e.Message);
            }

            _availability[model.Descriptor.Id] = availability;
        }));
    }
}
