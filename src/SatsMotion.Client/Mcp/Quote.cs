using System.Globalization;
using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;

namespace SatsMotion.Client.Mcp;

/// <summary>The price of a request from the server's manifest, or the refusal naming the field.</summary>
public sealed record Quote(string Slug, int Duration, long PriceSats, CallToolResult? Error)
{
    public static Quote For(JsonArray models, int? duration, string? modelId)
    {
        var model = modelId is null
            ? models.FirstOrDefault(m => m?["default"]?.GetValue<bool>() == true)
            : models.FirstOrDefault(m => string.Equals(m?["slug"]?.GetValue<string>(), modelId, StringComparison.OrdinalIgnoreCase) || m?["id"]?.ToString() == modelId);
        if (model is null)
        {
            return new Quote("", 0, 0, ToolResults.Error("INVALID_INPUT", $"unknown model '{modelId}'", "pick an id or slug from list_models"));
        }

        var seconds = duration ?? model["default_duration"]!.GetValue<int>();
        var price = model["prices_sats"]?[seconds.ToString(CultureInfo.InvariantCulture)]?.GetValue<long>();
        return price is null
            ? new Quote(model["slug"]!.GetValue<string>(), seconds, 0, ToolResults.Error("INVALID_INPUT", $"duration {seconds} is not offered by {model["slug"]}", $"use one of {model["durations"]!.ToJsonString()}"))
            : new Quote(model["slug"]!.GetValue<string>(), seconds, price.Value, null);
    }
}
