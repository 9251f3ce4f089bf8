using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using SatsMotion.Lightning;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Storage;
using SatsMotion.Video.Models;

namespace SatsMotion.Server;

/// <summary>Tells the operator, once listening, what is live and how to try it.</summary>
public static class StartupBanner
{
    public static void Print(IServiceProvider services)
    {
        var address = services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://127.0.0.1:5402";
        var lightning = services.GetRequiredService<ILightningBackend>();
        var catalog = services.GetRequiredService<ModelCatalog>();
        var data = services.GetRequiredService<DataDirectory>();
        var role = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SatsMotionOptions>>().Value.Role;
        var database = services.GetRequiredService<Database>();
        var blobs = services.GetRequiredService<IBlobStore>();
        var lines = new List<string>
        {
            "",
            $"SatsMotion {ServerVersion.Text} is listening on {address}",
            $"  Lightning: {lightning.Name}{(services.GetRequiredService<LightningSelfCheck>().Info is { } node ? $", {LightningSelfCheck.Name(node.Network)}" : "")}",
            $"  Models:    {string.Join(", ", catalog.All.Select(m => $"{m.Descriptor.Slug} ({m.Descriptor.SatsPerSecond} sats/s{(m.Descriptor.IsAi ? "" : ", local, non-AI")}{Availability(catalog.AvailabilityOf(m))})"))}",
            $"  Data:      {data.Root}",
            $"  Database:  {database.Description}",
            $"  Videos:    {blobs.Description}{(database.SharedByServers && !blobs.SharedByServers ? " (this machine only: servers elsewhere on this database need SatsMotion:Storage, the same bucket)" : "")}",
            $"  Role:      {role.ToString().ToLowerInvariant()}{(role == ServerRole.Worker ? " (runs jobs; serves /healthz, /readyz and /metrics only)" : "")}",
        };
        if (role == ServerRole.Worker)
        {
            Console.WriteLine(string.Join(Environment.NewLine, lines));
            return;
        }

        lines.Add($"  Console:   {address}/admin (the admin key is in {services.GetRequiredService<Admin.AdminKey>().Path})");
        if (lightning.IsDevelopment)
        {
            lines.Add("");
            lines.Add("  *** DEV LIGHTNING NODE: invoices are regtest, NO REAL MONEY MOVES. Pay them with POST /api/dev/pay. ***");
        }

        lines.AddRange(
        [
            "",
            "Try it (any photo.jpg):",
            $"  S={address}",
            "  printf '{\"prompt\":\"slow zoom in\",\"duration\":5,\"image\":\"%s\"}' \"$(base64 -w0 photo.jpg)\" > body.json",
            "  curl -si -X POST $S/api/l402/animate-image -H 'Content-Type: application/json' -d @body.json > challenge.txt   # 402",
            "  MAC=$(grep -o 'macaroon=\"[^\"]*\"' challenge.txt | head -1 | cut -d'\"' -f2)",
            "  INV=$(grep -o 'invoice=\"[^\"]*\"' challenge.txt | head -1 | cut -d'\"' -f2)",
        ]);
        lines.Add(lightning.IsDevelopment
            ? "  PRE=$(curl -s -X POST $S/api/dev/pay -H 'Content-Type: application/json' -d \"{\\\"invoice\\\":\\\"$INV\\\"}\" | grep -o '[0-9a-f]\\{64\\}' | head -1)"
            : "  PRE=<the preimage your wallet shows after paying $INV>");
        lines.Add("  curl -s -X POST $S/api/l402/animate-image -H 'Content-Type: application/json' -H \"Authorization: L402 $MAC:$PRE\" -d @body.json");
        lines.Add("");
        Console.WriteLine(string.Join(Environment.NewLine, lines));
    }

    private static string Availability(ModelAvailability availability) =>
        availability.Available ? availability.Reason is null ? "" : $", {availability.Reason}" : $", UNAVAILABLE: {availability.Reason}";
}
