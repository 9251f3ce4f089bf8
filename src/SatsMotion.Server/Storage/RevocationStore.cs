namespace SatsMotion.Server.Storage;

/// <summary>Tokens the operator has revoked (leaked credential, refund, abuse): they redeem nothing any more.</summary>
public sealed class RevocationStore(Database database, TimeProvider time)
{
    public async Task RevokeAsync(string tokenId, string reason, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO revoked_tokens (token_id, reason, revoked_at) VALUES ($id, $reason, $now) ON CONFLICT(token_id) DO NOTHING";
        command.Parameters.AddWithValue("$id", tokenId.ToLowerInvariant());
        command.Parameters.AddWithValue("$reason", reason);
        command.Parameters.AddWithValue("$now", time.GetUtcNow().ToUnixTimeSeconds());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> IsRevokedAsync(string tokenId, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM revoked_tokens WHERE token_id = $id";
        command.Parameters.AddWithValue("$id", tokenId);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }
}
