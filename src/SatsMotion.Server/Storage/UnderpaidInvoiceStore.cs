namespace SatsMotion.Server.Storage;

/// <summary>An invoice the node reported settled for less than its price: its token redeemed nothing.</summary>
public sealed record UnderpaidInvoice(string PaymentHash, string TokenId, string Model, long PriceSats, long ReceivedMsat, DateTimeOffset SeenAt);

/// <summary>
/// Invoices settled below their price, kept for the operator (the payer lost what they sent, and may ask for it):
/// the first sighting of each, however often its token is presented again.
/// </summary>
public sealed class UnderpaidInvoiceStore(Database database, TimeProvider time)
{
    public async Task RecordAsync(string paymentHash, string tokenId, string model, long priceSats, long receivedMsat, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var insert = connection.Sql("""
            INSERT INTO underpaid_invoices (payment_hash, token_id, model, price_sats, received_msat, seen_at) VALUES (@hash, @token, @model, @price, @received, @now)
            ON CONFLICT(payment_hash) DO NOTHING
            """, ("@hash", paymentHash), ("@token", tokenId), ("@model", model), ("@price", priceSats), ("@received", receivedMsat),
            ("@now", time.GetUtcNow().ToUnixTimeMilliseconds()));
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<UnderpaidInvoice>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.Sql("SELECT payment_hash, token_id, model, price_sats, received_msat, seen_at FROM underpaid_invoices ORDER BY seen_at DESC LIMIT @limit",
            ("@limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var invoices = new List<UnderpaidInvoice>();
        while (await reader.ReadAsync(cancellationToken))
        {
            invoices.Add(new UnderpaidInvoice(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5))));
        }

        return invoices;
    }
}
