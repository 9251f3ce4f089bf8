namespace SatsMotion.Server.Storage;

/// <summary>
/// Secrets every server must agree on (the dev node's key, the token secret when none is configured): files in
/// the data directory for one server; rows of the shared database for several, the first server's winning.
/// </summary>
public sealed class SecretStore(Database database, DataDirectory data)
{
    public byte[] LoadOrCreate(string name)
    {
        if (!database.SharedByServers)
        {
            return data.LoadOrCreateSecret(name);
        }

        using var connection = database.Open();
        using (var insert = connection.Sql("INSERT INTO secrets (name, value) VALUES (@name, @value) ON CONFLICT(name) DO NOTHING",
            ("@name", name), ("@value", Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)))))
        {
            insert.ExecuteNonQuery();
        }

        using var read = connection.Sql("SELECT value FROM secrets WHERE name = @name", ("@name", name));
        return Convert.FromHexString((string)read.ExecuteScalar()!);
    }
}
