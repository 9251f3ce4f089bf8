using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SatsMotion.Video.Remote;

namespace SatsMotion.Video.Models;

/// <summary>A model list that cannot be served; the message is one line naming the model and the key.</summary>
public sealed class VideoConfigurationException(string message) : Exception(message);

/// <summary>
/// Builds the model catalog from the operator's list: one line per back-end, each provider reading its own keys.
/// Remote models share one orchestration (<see cref="RemoteVideoModel"/>) and one output re-hoster.
/// </summary>
public static class VideoModels
{
    private const string OutputClient = "video-output";

    /// <summary>Registers the <see cref="ModelCatalog"/>; <paramref name="motion"/> makes the local model for an entry.</summary>
    public static void AddVideoModels(this IServiceCollection services, IReadOnlyList<ModelSettings> models, Func<ModelSettings, IServiceProvider, IVideoModel> motion)
    {
        Validate(models);
        var remote = false;
        var factories = new List<Func<IServiceProvider, IVideoModel>>();
        foreach (var model in models)
        {
            Func<IServiceProvider, IVideoProvider>? provider = model.Backend.ToLowerInvariant() switch
            {
                "motion" => null,
                "replicate" => Replicate.ReplicateProvider.Register(services, model),
                "fal" => Fal.FalProvider.Register(services, model),
                "comfyui" => ComfyUi.ComfyUiProvider.Register(services, model),
                var other => throw new VideoConfigurationException($"SatsMotion:Models: model '{model.Slug}' has unknown Backend '{other}' (motion, replicate, fal or comfyui)"),
            };
            if (provider is null)
            {
                factories.Add(sp => motion(model, sp));
                continue;
            }

            remote = true;
            factories.Add(sp => new RemoteVideoModel(model.Describe(model.Slug, "MP4 (H.264), re-hosted by this server"), provider(sp), sp.GetRequiredService<OutputRehoster>(),
                model.Lengths, model.Timeout, sp.GetRequiredService<ILogger<RemoteVideoModel>>()));
        }

        if (remote)
        {
            services.AddProviderHttpClient(OutputClient, null);
            services.AddSingleton(sp => new OutputRehoster(sp.GetRequiredService<IHttpClientFactory>().CreateClient(OutputClient), OutputRehoster.DefaultMaxBytes, TimeSpan.FromMinutes(5)));
        }

        var defaultIndex = Math.Max(0, models.ToList().FindIndex(m => m.Default));
        services.AddSingleton(sp => new ModelCatalog(factories.Select(create => create(sp)), defaultIndex));
    }

    private static void Validate(IReadOnlyList<ModelSettings> models)
    {
        if (models.Count == 0)
        {
            throw new VideoConfigurationException("SatsMotion:Models: the list is empty; leave it out for the embedded motion model");
        }

        foreach (var model in models)
        {
            var name = string.IsNullOrWhiteSpace(model.Slug) ? $"with Id {model.Id}" : $"'{model.Slug}'";
            string? problem = model switch
            {
                { Id: <= 0 } => "needs a positive Id",
                { Slug: var slug } when !System.Text.RegularExpressions.Regex.IsMatch(slug, "^[a-z0-9][a-z0-9._-]{0,63}$") => "needs a Slug of lower-case letters, digits, '.', '_' or '-'",
                { SatsPerSecond: <= 0 } => "needs SatsPerSecond above 0",
                { Durations: { } durations } when durations.Count == 0 || durations.Any(d => d is < 1 or > 60) => "has Durations outside 1..60 seconds",
                { Fps: < 1 or > 120 } => "has Fps outside 1..120",
                { Timeout: var timeout } when timeout <= TimeSpan.Zero => "needs a positive Timeout",
                _ => null,
            };
            if (problem is not null)
            {
                throw new VideoConfigurationException($"SatsMotion:Models: model {name} {problem}");
            }
        }

        if (models.GroupBy(m => m.Id).FirstOrDefault(g => g.Count() > 1) is { } sameId)
        {
            throw new VideoConfigurationException($"SatsMotion:Models: two models have Id {sameId.Key}");
        }

        if (models.GroupBy(m => m.Slug).FirstOrDefault(g => g.Count() > 1) is { } sameSlug)
        {
            throw new VideoConfigurationException($"SatsMotion:Models: two models have Slug '{sameSlug.Key}'");
        }

        if (models.Count(m => m.Default) > 1)
        {
            throw new VideoConfigurationException("SatsMotion:Models: more than one model says Default: true");
        }
    }
}
