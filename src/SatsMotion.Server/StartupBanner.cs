using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using SatsMotion.Lightning;
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
        var lines = new List<string>
        {
            "",
            $"SatsMotion is listening on {address}",
            $"  Lightning: {lightning.Name}",
            $"  Models:    {string.Join(", ", catalog.All.Select(m => $"{m.Descriptor.Slug} ({m.Descriptor.SatsPerSecond} sats/s{(m.Descriptor.IsAi ? "" : ", local, non-AI")})"))}",
            $"  Data:      {data.Root}",
        };
        if (lightning.IsDevelopment)
        {
            lines.Add("");
            lines.Add("  *** DEV LIGHTNING NODE: invoices are regtest, NO REAL MONEY MOVES. Pay them with POST /api/dev/pay. ***");
        }

        lines.AddRange(
        [
            "",
            "Try it:",
            $"  IMG=$(base64 -w0 photo.jpg)",
            $"  curl -si -X POST {address}/api/l402/animate-image -H 'Content-Type: application/json' \\",
            "       -d '{\"prompt\":\"slow zoom in\",\"image\":\"'$IMG'\",\"duration\":5}'          # 402: note macaroon and invoice",
        ]);
        if (lightning.IsDevelopment)
        {
            lines.Add($"  curl -s -X POST {address}/api/dev/pay -H 'Content-Type: application/json' -d '{{\"invoice\":\"<invoice>\"}}'   # returns the preimage");
        }

        lines.Add($"  curl -s -X POST {address}/api/l402/animate-image -H 'Content-Type: application/json' \\");
        lines.Add("       -H 'Authorization: L402 <macaroon>:<preimage>' -d '{\"prompt\":\"slow zoom in\",\"image\":\"'$IMG'\",\"duration\":5}'");
        lines.Add("");
        Console.WriteLine(string.Join(Environment.NewLine, lines));
    }
}
