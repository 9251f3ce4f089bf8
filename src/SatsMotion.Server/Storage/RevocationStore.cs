namespace SatsMotion.Server.Storage;

public sealed record RevokedToken(string TokenId, string Reason, DateTimeOffset RevokedAt);

/// <summary>Tokens the operator has revoked (leaked credential, refund, abuse): they redeem nothing any more.</summary>
public sealed class RevocationStore(Database database, TimeProvider time)
{
    public async Task RevokeAsync(string tokenId, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql("INSERT INTO revoked_tokens (token_id, reason, revoked_at) VALUES (@id, @reason, @now) ON CONFLICT(token_id) DO NOTHING",
            ("@id", tokenId.ToLowerInvariant()), ("@reason", reason), ("@now", time.GetUtcNow().ToUnixTimeSeconds()));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> IsRevokedAsync(string tokenId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql("SELECT 1 FROM revoked_tokens WHERE token_id = @id", ("@id", tokenId));
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>The latest revocations, newest first.</summary>
    public async Task<IReadOnlyList<RevokedToken>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql("SELECT token_id, reason, revoked_at FROM revoked_tokens ORDER BY revoked_at DESC LIMIT @limit", ("@limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var tokens = new List<RevokedToken>();
        while (await reader.ReadAsync(cancellationToken))
        {
            tokens.Add(new RevokedToken(reader.GetString(0), reader.GetString(1), DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(2))));
        }

        return tokens;
    }
}
