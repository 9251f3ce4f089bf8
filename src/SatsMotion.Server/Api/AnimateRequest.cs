using System.Text.Json;
using System.Text.RegularExpressions;
using SatsMotion.L402;
using SatsMotion.Server.Callbacks;
using SatsMotion.Server.Jobs;
using SatsMotion.Video.Images;
using SatsMotion.Video.Models;
using SatsMotion.Video.Motion;

namespace SatsMotion.Server.Api;

/// <summary>A validated animate-image request, and the canonical hash a token for it is bound to (its callback included).</summary>
public sealed record AnimateRequest(IVideoModel Model, int DurationSeconds, string Prompt, byte[] Image, byte[] RequestHash, string? CallbackUrl = null, string? CallbackId = null)
{
    public long PriceSats => Model.Descriptor.PriceSats(DurationSeconds);
}

/// <summary>
/// Reads and checks the JSON body by the reference's field rules, before anything is charged: every problem is a
/// 400 naming its field. The image is decoded here, so an undecodable one never gets an invoice.
/// </summary>
public static partial class AnimateRequestReader
{
    public static (AnimateRequest? Request, ApiError? Error) Read(ReadOnlyMemory<byte> body, ModelCatalog catalog, long maxImageBytes, int maxPromptLength, bool allowLoopbackCallbacks = false)
    {
        // The parser leaves string contents unchecked until read; invalid UTF-8 is refused here, whole.
        if (!System.Text.Unicode.Utf8.IsValid(body.Span))
        {
            return (null, ApiError.BadInput("body", "body is not valid UTF-8"));
        }

        JsonDocument document;
        try
        {
            // The document reads the body in place, without a copy; it is disposed before this method returns.
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            return (null, ApiError.BadInput("body", $"body is not valid JSON: {e.Message}"));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, ApiError.BadInput("body", "body must be a JSON object with prompt, image, and optionally duration and modelId"));
            }

            return ReadObject(root, catalog, maxImageBytes, maxPromptLength, allowLoopbackCallbacks);
        }
    }

    private static (AnimateRequest?, ApiError?) ReadObject(JsonElement root, ModelCatalog catalog, long maxImageBytes, int maxPromptLength, bool allowLoopbackCallbacks)
    {
        // A key given twice could be read one way here and another way by a proxy or a log: refuse it.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                return (null, ApiError.BadInput(property.Name, $"key '{property.Name}' appears more than once"));
            }
        }

        if (!root.TryGetProperty("prompt", out var promptElement) || promptElement.ValueKind == JsonValueKind.Null)
        {
            return (null, ApiError.BadInput("prompt", "prompt is required"));
        }

        if (promptElement.ValueKind != JsonValueKind.String)
        {
            return (null, ApiError.BadInput("prompt", "prompt must be a string"));
        }

        var prompt = promptElement.GetString()!;
        if (string.IsNullOrWhiteSpace(prompt))
        {
            return (null, ApiError.BadInput("prompt", "prompt must not be blank"));
        }

        if (prompt.Length > maxPromptLength)
        {
            return (null, ApiError.BadInput("prompt", $"prompt is {prompt.Length} characters; at most {maxPromptLength}"));
        }

        // Control characters hide text from people and logs; tab and newline are the ones prose uses.
        var control = prompt.IndexOfAny(ForbiddenInPrompt);
        if (control >= 0)
        {
            return (null, ApiError.BadInput("prompt", $"prompt contains the control character U+{(int)prompt[control]:X4}; only tab and newline are allowed"));
        }

        var model = catalog.Default;
        if (root.TryGetProperty("modelId", out var modelElement) && modelElement.ValueKind != JsonValueKind.Null)
        {
            var key = modelElement.ValueKind switch
            {
                JsonValueKind.String => modelElement.GetString(),
                JsonValueKind.Number => modelElement.GetRawText(),
                _ => null,
            };
            if (key is null)
            {
                return (null, ApiError.BadInput("modelId", "modelId must be a number or a string"));
            }

            var found = catalog.Find(key);
            if (found is null)
            {
                return (null, ApiError.BadInput("modelId", $"unknown modelId '{key}'; see GET /api/l402/models") with { Hint = "pick an id or slug from GET /api/l402/models; nothing was charged" });
            }

            model = found;
        }

        var descriptor = model.Descriptor;
        var duration = descriptor.DefaultDuration;
        if (root.TryGetProperty("duration", out var durationElement) && durationElement.ValueKind != JsonValueKind.Null)
        {
            if (durationElement.ValueKind != JsonValueKind.Number || !durationElement.TryGetInt32(out duration))
            {
                return (null, ApiError.BadInput("duration", $"duration must be a whole number of seconds: {Allowed(descriptor)}"));
            }

            if (!descriptor.AllowsDuration(duration))
            {
                return (null, ApiError.BadInput("duration", descriptor.IsContiguous
                    ? $"duration {duration} is out of range: {Allowed(descriptor)}"
                    : $"duration {duration} is not offered by {descriptor.Slug}: {Allowed(descriptor)}"));
            }
        }

        if (!root.TryGetProperty("image", out var imageElement) || imageElement.ValueKind == JsonValueKind.Null)
        {
            return (null, ApiError.BadInput("image", "image is required (base64, with or without a data:image/...;base64, prefix)"));
        }

        if (imageElement.ValueKind != JsonValueKind.String)
        {
            return (null, ApiError.BadInput("image", "image must be a base64 string"));
        }

        // Plain padded base64, the common case, decodes straight from the JSON's UTF-8 bytes; anything else
        // (a data URI, line breaks, URL-safe or unpadded text) takes the lenient path through a string.
        var (image, imageError) = imageElement.TryGetBytesFromBase64(out var plain) && plain.Length > 0
            ? CheckImage(plain, maxImageBytes)
            : DecodeImage(imageElement.GetString()!, maxImageBytes);
        if (imageError is not null)
        {
            return (null, ApiError.BadInput("image", imageError));
        }

        var (callbackUrl, callbackId, callbackError) = ReadCallback(root, allowLoopbackCallbacks);
        if (callbackError is not null)
        {
            return (null, callbackError);
        }

        if (!catalog.AvailabilityOf(model).Available)
        {
            return (null, new ApiError(StatusCodes.Status503ServiceUnavailable, "MODEL_UNAVAILABLE", $"model '{descriptor.Slug}' cannot take work right now",
                "modelId", "nothing was charged; try again later or pick another model from GET /api/l402/models", ModelAvailabilityMonitor.Period));
        }

        return (new AnimateRequest(model, duration, prompt, image!, RequestFingerprint.Compute(descriptor.Slug, duration, prompt, image, callbackUrl, callbackId),
            callbackUrl, callbackId), null);
    }

    /// <summary>callback_url (a public https URL, see <see cref="CallbackTarget"/>) and callback_id (echoed in the deliveries), both optional.</summary>
    private static (string? Url, string? Id, ApiError? Error) ReadCallback(JsonElement root, bool allowLoopback)
    {
        string? url = null;
        if (root.TryGetProperty("callback_url", out var urlElement) && urlElement.ValueKind != JsonValueKind.Null)
        {
            if (urlElement.ValueKind != JsonValueKind.String)
            {
                return (null, null, ApiError.BadInput("callback_url", "callback_url must be a string"));
            }

            var (checkedUrl, problem) = CallbackTarget.Check(urlElement.GetString()!, allowLoopback);
            if (problem is not null)
            {
                return (null, null, ApiError.BadInput("callback_url", problem));
            }

            url = checkedUrl!.AbsoluteUri;
        }

        string? id = null;
        if (root.TryGetProperty("callback_id", out var idElement) && idElement.ValueKind != JsonValueKind.Null)
        {
            if (url is null)
            {
                return (null, null, ApiError.BadInput("callback_id", "callback_id needs a callback_url"));
            }

            id = idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : null;
            if (id is null || id.Length is 0 or > MaxCallbackIdLength || id.IndexOfAny(ForbiddenInPrompt) >= 0 || id.Contains('\t') || id.Contains('\n'))
            {
                return (null, null, ApiError.BadInput("callback_id", $"callback_id must be a string of 1 to {MaxCallbackIdLength} characters without control characters"));
            }
        }

        return (url, id, null);
    }

    public const int MaxCallbackIdLength = 256;

    // C0 controls but tab and newline, DEL and the C1 controls, and the invisible line and paragraph separators.
    private static readonly char[] ForbiddenInPrompt = [.. Enumerable.Range(0, 0x20).Where(c => c is not '\t' and not '\n').Select(c => (char)c),
        .. Enumerable.Range(0x7F, 0x21).Select(c => (char)c), '\u2028', '\u2029'];

    /// <summary>The durations a model takes, as a caller reads them ("3 to 15 seconds" or "one of 5, 10 seconds").</summary>
    public static string Allowed(ModelDescriptor descriptor) => descriptor.IsContiguous
        ? $"{descriptor.MinDurationSeconds} to {descriptor.MaxDurationSeconds} seconds"
        : $"one of {string.Join(", ", descriptor.Durations)} seconds";

    private static (byte[]?, string?) DecodeImage(string text, long maxImageBytes)
    {
        var payload = text.AsSpan().Trim();
        if (payload.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            var comma = payload.IndexOf(',');
            if (comma < 0 || !DataUriHeader().IsMatch(payload[..comma]))
            {
                return (null, "image data URI must look like data:image/<type>;base64,<data>");
            }

            payload = payload[(comma + 1)..];
        }

        if (payload.IsEmpty)
        {
            return (null, "image is empty");
        }

        if (payload.Length / 4L * 3 > maxImageBytes + 3)
        {
            return (null, $"image is larger than {maxImageBytes / (1024 * 1024)} MB");
        }

        // Base64 as people paste it: line breaks and spaces are dropped; URL-safe and unpadded forms are accepted.
        var compact = WhitespacePattern().Replace(payload.ToString(), "");
        if (!LenientBase64.TryDecode(compact, out var bytes))
        {
            return (null, "image is not valid base64");
        }

        return CheckImage(bytes, maxImageBytes);
    }

    /// <summary>The decoded bytes within the size limit and a real image (decoded here, then dropped).</summary>
    private static (byte[]?, string?) CheckImage(byte[] bytes, long maxImageBytes)
    {
        if (bytes.Length > maxImageBytes)
        {
            return (null, $"image is larger than {maxImageBytes / (1024 * 1024)} MB");
        }

        try
        {
            using var decoded = ImageIntake.Decode(bytes, OutputFrame.LongestSide);
        }
        catch (ImageRejectedException e)
        {
            return (null, e.Message);
        }

        return (bytes, null);
    }

    [GeneratedRegex(@"^data:image/[A-Za-z0-9.+-]+(;[A-Za-z0-9=.+-]+)*;base64$", RegexOptions.IgnoreCase)]
    private static partial Regex DataUriHeader();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespacePattern();
}
