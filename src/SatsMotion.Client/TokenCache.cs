using System.Text.Json;

namespace SatsMotion.Client;

/// <summary>
/// One request's payment: written before paying, updated with the preimage before redeeming. It keeps what the 402
/// offered for the paid invoice: the L402 macaroon, the Payment challenge (its header value), or both, so a resumed
/// run redeems with whichever still works.
/// </summary>
public sealed record CachedToken(string Server, string RequestKey, string? Macaroon, string Invoice, string PaymentHash, long PriceSats, string? Preimage, DateTimeOffset CreatedAt,
    string? PaymentChallenge = null)
{
    public bool IsPaid => Preimage is not null;
}

/// <summary>
/// Paid (and being-paid) tokens under the user's config directory, mode 0600, keyed by server and request.
/// A run that dies between paying and redeeming finds its token here instead of paying again.
/// </summary>
public sealed class TokenCache(string directory)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string FilePath => Path.Combine(directory, "tokens.json");

    public IReadOnlyList<CachedToken> All() => File.Exists(FilePath)
        ? JsonSerializer.Deserialize<List<CachedToken>>(File.ReadAllText(FilePath)) ?? []
        : [];

    public CachedToken? Find(string server, string requestKey) => All().LastOrDefault(t => t.Server == server && t.RequestKey == requestKey);

    public void Save(CachedToken token) => Write([.. All().Where(t => !(t.Server == token.Server && t.RequestKey == token.RequestKey)), token]);

    public void Remove(CachedToken token) => Write(All().Where(t => !(t.Server == token.Server && t.RequestKey == token.RequestKey)).ToList());

    public int Clear()
    {
        var count = All().Count;
        Write([]);
        return count;
    }

    // Written to a temporary file and renamed, so a crash mid-write never loses the paid tokens already there.
    private void Write(List<CachedToken> tokens)
    {
        Directory.CreateDirectory(directory);
        var temporary = FilePath + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, tokens, Json);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, FilePath, overwrite: true);
    }
}
