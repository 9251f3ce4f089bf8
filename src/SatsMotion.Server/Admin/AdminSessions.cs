using System.Security.Cryptography;
using System.Text;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Admin;

/// <summary>
/// Console sessions in the database (so any API server knows them, and signing out ends them everywhere): a random
/// token in the browser's cookie, only its hash stored, each ending a fixed time after sign-in.
/// </summary>
public sealed class AdminSessions(Database database, TimeProvider time)
{
    public async Task<string> StartAsync(TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using (var prune = connection.Sql("DELETE FROM admin_sessions WHERE expires_at <= @now", ("@now", now.ToUnixTimeMilliseconds())))
        {
            await prune.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var insert = connection.Sql("INSERT INTO admin_sessions (id_hash, created_at, expires_at) VALUES (@id, @now, @expires)",
            ("@id", Hash(token)), ("@now", now.ToUnixTimeMilliseconds()), ("@expires", (now + lifetime).ToUnixTimeMilliseconds()));
        await insert.ExecuteNonQueryAsync(cancellationToken);
        return token;
    }

    public async Task<bool> IsLiveAsync(string token, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql("SELECT 1 FROM admin_sessions WHERE id_hash = @id AND expires_at > @now",
            ("@id", Hash(token)), ("@now", time.GetUtcNow().ToUnixTimeMilliseconds()));
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    public async Task EndAsync(string token, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql("DELETE FROM admin_sessions WHERE id_hash = @id", ("@id", Hash(token)));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A short name of a session for the action log: its hash's start, which cannot be turned back into the cookie.</summary>
    public static string Label(string token) => Hash(token)[..8];

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)));
}
