using System.Data.Common;
using System.Threading.Channels;
using SatsMotion.Lightning.DevNode;

namespace SatsMotion.Server.Storage;

/// <summary>
/// Inserts the dev node's new invoices by group commit: one writer puts every insert that is waiting into one
/// transaction, so a burst of 402 challenges pays one commit instead of one each and never queues on
/// the write lock. A caller's task completes only once its invoice is committed.
/// </summary>
public sealed class DevInvoiceWriter : IAsyncDisposable
{
    private const int MaxBatch = 256;

    private readonly Database _database;
    private readonly Channel<PendingInsert> _pending = Channel.CreateUnbounded<PendingInsert>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    public DevInvoiceWriter(Database database)
    {
        _database = database;
        _loop = Task.Run(WriteAsync);
    }

    public Task AddAsync(DevInvoice invoice, CancellationToken cancellationToken)
    {
        var pending = new PendingInsert(invoice, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_pending.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(DevInvoiceWriter));
        }

        return pending.Committed.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _loop;
    }

    private async Task WriteAsync()
    {
        var batch = new List<PendingInsert>(MaxBatch);
        while (await _pending.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            try
            {
                await InsertAsync(batch);
                batch.ForEach(p => p.Committed.TrySetResult());
            }
            catch (DbException) when (batch.Count > 1)
            {
                // One bad row must not fail its neighbours: insert them one by one, so only it fails.
                foreach (var one in batch)
                {
                    await CompleteAsync(one);
                }
            }
            catch (Exception e)
            {
                batch.ForEach(p => p.Committed.TrySetException(e));
            }

            batch.Clear();
        }
    }

    private async Task CompleteAsync(PendingInsert one)
    {
        try
        {
            await InsertAsync([one]);
            one.Committed.TrySetResult();
        }
        catch (Exception e)
        {
            one.Committed.TrySetException(e);
        }
    }

    private async Task InsertAsync(List<PendingInsert> batch)
    {
        await using var connection = await _database.OpenAsync(CancellationToken.None);
        await using var transaction = await connection.BeginTransactionAsync();
        await using var command = connection.Sql("INSERT INTO dev_invoices (payment_hash, payment_request, preimage, amount_msat, expires_at) VALUES (@hash, @request, @preimage, @amount, @expires)");
        command.Transaction = transaction;
        var hash = command.Bind("@hash", "");
        var request = command.Bind("@request", "");
        var preimage = command.Bind("@preimage", "");
        var amount = command.Bind("@amount", 0L);
        var expires = command.Bind("@expires", 0L);
        foreach (var (invoice, _) in batch)
        {
            hash.Value = Convert.ToHexStringLower(invoice.PaymentHash);
            request.Value = invoice.PaymentRequest;
            preimage.Value = Convert.ToHexStringLower(invoice.Preimage);
            amount.Value = invoice.AmountMsat;
            expires.Value = invoice.ExpiresAt.ToUnixTimeSeconds();
            await command.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }

    private sealed record PendingInsert(DevInvoice Invoice, TaskCompletionSource Committed);
}
