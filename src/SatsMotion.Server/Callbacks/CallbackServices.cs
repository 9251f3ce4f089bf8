using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SatsMotion.Server.Configuration;

namespace SatsMotion.Server.Callbacks;

public static class CallbackServices
{
    /// <summary>Completion webhooks: the outbox, the signing, the guarded client and the sender (on every server: deliveries are leased).</summary>
    public static IServiceCollection AddCallbacks(this IServiceCollection services)
    {
        services.AddSingleton<WebhookOutbox>();
        services.AddSingleton<WebhookSigning>();
        services.TryAddSingleton<IHostResolver, DnsHostResolver>();
        services.AddKeyedSingleton(WebhookDispatcher.ClientKey, (sp, _) => CallbackConnections.Create(
            sp.GetRequiredService<IHostResolver>(), sp.GetRequiredService<IOptions<SatsMotionOptions>>().Value.Callbacks.AllowLoopback, TimeSpan.FromSeconds(5)));
        services.AddHostedService<WebhookDispatcher>();
        return services;
    }
}
