using System.Data.Common;
using SatsMotion.Lightning.DevNode;

namespace SatsMotion.Server.Storage;

/// <summary>The dev node's invoices in the server's database (shared by all servers); new ones are written by group commit.</summary>
public sealed class DevInvoiceStore(Database database, DevInvoiceWriter writer) : IDevInvoiceStore
{
    public Task AddAsync(DevInvoice invoice, CancellationToken cancellationToken) => writer.AddAsync(invoice, cancellationToken);

    public async Task<DevInvoice?> FindAsync(byte[] paymentHash, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql("SELECT payment_hash, payment_request, preimage, amount_msat, expires_at, settled_at FROM dev_invoices WHERE payment_hash = @hash",
            ("@hash", Convert.ToHexStringLower(paymentHash)));
        return await ReadOneAsync(command, cancellationToken);
    }

    public async Task<DevInvoice?> SettleAsync(byte[] paymentHash, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql("""
            UPDATE dev_invoices SET settled_at = COALESCE(settled_at, @at) WHERE payment_hash = @hash
            RETURNING payment_hash, payment_request, preimage, amount_msat, expires_at, settled_at
            """, ("@hash", Convert.ToHexStringLower(paymentHash)), ("@at", at.ToUnixTimeSeconds()));
        return await ReadOneAsync(command, cancellationToken);
    }

    /// <summary>
    /// Deletes invoices nobody paid that expired before <paramref name="expiredBefore"/>, in small transactions so
    /// new invoices are never kept waiting long; paid ones stay, as the record of a payment. Returns how many went.
    /// </summary>
    public async Task<int> DeleteUnpaidExpiredAsync(DateTimeOffset expiredBefore, CancellationToken cancellationToken)
    {
        const int chunk = 1000;
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql("""
            DELETE FROM dev_invoices WHERE payment_hash IN
                (SELECT payment_hash FROM dev_invoices WHERE settled_at IS NULL AND expires_at < @before LIMIT @chunk)
            """, ("@before", expiredBefore.ToUnixTimeSeconds()), ("@chunk", chunk));
        var total = 0;
        int deleted;
        do
        {
            deleted = await command.ExecuteNonQueryAsync(cancellationToken);
            total += deleted;
        }
        while (deleted == chunk);

        return total;
    }

    private static async Task<DevInvoice?> ReadOneAsync(DbCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new DevInvoice(
            Convert.FromHexString(reader.GetString(0)), reader.GetString(1), Convert.FromHexString(reader.GetString(2)), reader.GetInt64(3),
            DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(4)), reader.IsDBNull(5) ? null : DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(5)));
    }
}
