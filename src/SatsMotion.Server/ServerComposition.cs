using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SatsMotion.L402.Mpp;
using SatsMotion.L402.Tokens;
using SatsMotion.Lightning;
using SatsMotion.Lightning.DevNode;
using SatsMotion.Server.Admin;
using SatsMotion.Server.Agents;
using SatsMotion.Server.Api;
using SatsMotion.Server.Callbacks;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Hardening;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;
using SatsMotion.Video.Models;
using SatsMotion.Video.Motion;

namespace SatsMotion.Server;

/// <summary>Wires the ports to their implementations from the operator's settings.</summary>
public static class ServerComposition
{
    public static void AddSatsMotion(this IServiceCollection services, IConfiguration configuration)
    {
        var role = ServerRoles.Read(configuration);
        PaymentSchemes.Parse(configuration.GetSection(SatsMotionOptions.Section).Get<SatsMotionOptions>()?.PaymentSchemes ?? new SatsMotionOptions().PaymentSchemes);
        services.AddOptions<SatsMotionOptions>().Bind(configuration.GetSection(SatsMotionOptions.Section)).Configure(options =>
        {
            // --data DIR on the command line, then SATSMOTION_DATA, then the configuration section.
            options.DataDirectory = configuration["data"] ?? Environment.GetEnvironmentVariable("SATSMOTION_DATA") ?? options.DataDirectory;
            options.Role = role;
        });
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpHardening(configuration.GetSection(SatsMotionOptions.Section).Get<SatsMotionOptions>() ?? new SatsMotionOptions());
        services.AddSingleton(sp => new DataDirectory(Options(sp).DataDirectory));
        // SatsMotion:Database and SatsMotion:Storage (or SATSMOTION_DATABASE, SATSMOTION_STORAGE): PostgreSQL and a bucket for several servers.
        services.AddDatabase(Setting(configuration, "Database"));
        services.AddBlobStore(Setting(configuration, "Storage"));
        services.AddSingleton<SecretStore>();
        services.AddSingleton<JobStore>();
        services.AddSingleton<JobWaiter>();
        services.AddSingleton<JobEventStream>();
        services.AddSingleton<RevocationStore>();
        services.AddSingleton<UnderpaidInvoiceStore>();
        services.AddSingleton<ChallengeTally>();
        services.AddSingleton<LightningIncidents>();
        services.AddSingleton<RefundStore>();
        services.AddSingleton<Refunds>();
        services.AddSingleton<RefundReconciler>();
        services.AddSingleton<JobQueue>();
        services.AddSingleton<DevInvoiceWriter>();
        services.AddSingleton<DevInvoiceStore>();
        services.AddSingleton<DevInvoicePruner>();
        services.AddHostedService(sp => sp.GetRequiredService<DevInvoicePruner>());
        services.AddSingleton(sp => new DevLightningNode(
            sp.GetRequiredService<SecretStore>().LoadOrCreate("node.key"), sp.GetRequiredService<DevInvoiceStore>(), sp.GetRequiredService<TimeProvider>()));
        // SatsMotion:Lightning (settings, SatsMotion__Lightning, --SatsMotion:Lightning), else SATSMOTION_LIGHTNING, else dev.
        if (!services.AddLightningBackend(Setting(configuration, "Lightning") ?? "dev"))
        {
            services.AddSingleton<ILightningBackend>(sp => sp.GetRequiredService<DevLightningNode>());
        }

        services.AddSingleton<LightningSelfCheck>();
        services.AddSingleton(sp => Secrets(Options(sp), sp.GetRequiredService<SecretStore>()));
        services.AddSingleton(sp => new L402TokenMinter(sp.GetRequiredService<ServerSecrets>()));
        services.AddSingleton(sp => new L402TokenVerifier(sp.GetRequiredService<ServerSecrets>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new LightningCharge(sp.GetRequiredService<ServerSecrets>(), PaymentSchemes.Realm(Options(sp)), sp.GetRequiredService<TimeProvider>()));
        // With a public address, providers push their job endings there (polling stays as the fallback).
        services.AddSingleton(sp => new SatsMotion.Video.Remote.ProviderPushes(Options(sp).PublicBaseUrl));
        // SatsMotion:Models lists the operator's models; without it the catalog is the embedded motion model alone.
        if (ModelSettingsReader.Read(configuration) is { } models)
        {
            services.AddVideoModels(models, (model, sp) => new LocalMotionModel(model.SatsPerSecond, Options(sp).EncoderPreset, Options(sp).EncoderCrf, settings: model));
        }
        else
        {
            services.AddSingleton(sp => new ModelCatalog([new LocalMotionModel(Options(sp).SatsPerSecond, Options(sp).EncoderPreset, Options(sp).EncoderCrf)]));
        }

        // One monitor: Program runs its first check before the server listens, and it runs the later ones.
        services.AddSingleton<ModelAvailabilityMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelAvailabilityMonitor>());
        services.AddSingleton<ChallengeIssuer>();
        services.AddSingleton<RedemptionPolicy>();
        services.AddSingleton<InvoiceStatusQuery>();
        services.AddSingleton<ServiceManifest>();
        services.AddHttpContextAccessor();
        services.AddMcpServer(mcp => mcp.ServerInfo = new() { Name = ServiceManifest.Name, Version = "1.0" })
            .WithHttpTransport(http => http.Stateless = true)
            .WithTools<AnimationTools>();
        services.AddExceptionHandler<LightningErrors>();
        services.AddExceptionHandler<StoreErrors>();
        if (role != ServerRole.Api)
        {
            services.AddHostedService<JobRunner>();
        }

        // Pay-outs are an API server's (a worker has no Lightning credential): so is finding out how they ended.
        // Challenges are an API server's too, and so is the console.
        if (role != ServerRole.Worker)
        {
            services.AddHostedService(sp => sp.GetRequiredService<RefundReconciler>());
            services.AddHostedService<ChallengeTallyWriter>();
            services.AddAdminConsole();
        }

        services.AddSingleton<VideoRetentionSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<VideoRetentionSweeper>());
        services.AddCallbacks();
    }

    public static void MapSatsMotion(this WebApplication app)
    {
        app.MapOperatorProbes();
        app.MapHealth();
        if (app.Services.GetRequiredService<IOptions<SatsMotionOptions>>().Value.Role == ServerRole.Worker)
        {
            return; // a worker answers its operator's probes only
        }

        app.MapAnimateImage();
        app.MapJobs();
        app.MapProviderPushes();
        app.MapDiscovery();
        app.MapWebPage();
        app.MapLnurlWithdraw();
        app.MapAgentDiscovery();
        app.MapMcp("/mcp").RequireRateLimiting(RateLimits.McpPolicy);
        app.MapAdminConsole();
        if (app.Services.GetRequiredService<ILightningBackend>().IsDevelopment)
        {
            app.MapDevWallet();
        }
    }

    private static SatsMotionOptions Options(IServiceProvider services) => services.GetRequiredService<IOptions<SatsMotionOptions>>().Value;

    // SatsMotion:X in the settings (SatsMotion__X, --SatsMotion:X), else the SATSMOTION_X environment variable.
    private static string? Setting(IConfiguration configuration, string name) =>
        configuration[$"{SatsMotionOptions.Section}:{name}"] ?? Environment.GetEnvironmentVariable($"SATSMOTION_{name.ToUpperInvariant()}");

    private static ServerSecrets Secrets(SatsMotionOptions options, SecretStore secrets)
    {
        var current = string.IsNullOrWhiteSpace(options.ServerSecret) ? secrets.LoadOrCreate("server.secret") : Convert.FromHexString(options.ServerSecret);
        return new ServerSecrets(current, options.PreviousServerSecrets.Select(Convert.FromHexString).ToList());
    }
}
