using System.Security.Cryptography;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Admin;

/// <summary>One thing done from the console: when, by whom (the session or bearer, and the address), what and to what.</summary>
public sealed record AdminAction(DateTimeOffset At, string Who, string Action, string Target);

/// <summary>Every console action, in the database (shown on the console) and in the server's log.</summary>
public sealed class AdminActionLog(Database database, TimeProvider time, ILogger<AdminActionLog> log)
{
    public async Task RecordAsync(string who, string action, string target, CancellationToken cancellationToken)
    {
        log.LogWarning("Console action {Action} on {Target} by {Who}", action, target, who);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var insert = connection.Sql("INSERT INTO admin_actions (id, at, who, action, target) VALUES (@id, @at, @who, @action, @target)",
            ("@id", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))), ("@at", time.GetUtcNow().ToUnixTimeMilliseconds()), ("@who", who), ("@action", action),
            ("@target", target));
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<AdminAction>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql("SELECT at, who, action, target FROM admin_actions ORDER BY at DESC LIMIT @limit", ("@limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var actions = new List<AdminAction>();
        while (await reader.ReadAsync(cancellationToken))
        {
            actions.Add(new AdminAction(DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }

        return actions;
    }
}
