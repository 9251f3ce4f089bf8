using System.Text.Json;
using System.Text.Json.Serialization;

namespace SatsMotion.Server.Admin;

/// <summary>How the console's facts read as JSON: snake_case names and states as their names.</summary>
public static class ConsoleJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter() },
    };
}
