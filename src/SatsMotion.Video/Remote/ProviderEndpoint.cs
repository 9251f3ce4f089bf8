using SatsMotion.Video.Models;

namespace SatsMotion.Video.Remote;

/// <summary>A model's Endpoint (or the provider's public API), as a base address ending in '/'.</summary>
public static class ProviderEndpoint
{
    public static Uri BaseAddress(ModelSettings model, Uri? publicApi)
    {
        var text = model.Endpoint ?? publicApi?.ToString() ?? throw new VideoConfigurationException($"SatsMotion:Models: model '{model.Slug}' ({model.Backend}) needs an Endpoint");
        return Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new VideoConfigurationException($"SatsMotion:Models: model '{model.Slug}': Endpoint must be an http:// or https:// URL");
    }
}
