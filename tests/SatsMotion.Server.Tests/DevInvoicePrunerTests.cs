using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Lightning;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Tests;

/// <summary>Unpaid dev invoices are deleted an hour past expiry; paid ones and recent ones stay.</summary>
public sealed class DevInvoicePrunerTests : IDisposable
{
    private readonly ManualClock _clock = new();
    private readonly TestHost _host;

    public DevInvoicePrunerTests() => _host = new TestHost(clock: _clock);

    [Fact]
    public async Task Only_unpaid_invoices_an_hour_past_expiry_are_deleted()
    {
        var unpaid = await InvoiceAsync("slow zoom in");
        var paid = await InvoiceAsync("pan left");
        var preimage = await _host.PayAsync(paid);
        var pruner = _host.Services.GetRequiredService<DevInvoicePruner>();

        // Expired, but not yet an hour ago: kept, and paying it still says why it cannot be paid.
        _clock.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(0, await pruner.PruneAsync(CancellationToken.None));
        Assert.Equal(HttpStatusCode.Gone, await PayStatusAsync(unpaid));

        _clock.Advance(DevInvoicePruner.KeptAfterExpiry);
        var fresh = await InvoiceAsync("tilt up");
        Assert.Equal(1, await pruner.PruneAsync(CancellationToken.None));

        Assert.Equal(InvoiceState.Unknown, await StateAsync(unpaid));
        Assert.Equal(HttpStatusCode.NotFound, await PayStatusAsync(unpaid));
        Assert.Equal(InvoiceState.Settled, await StateAsync(paid));
        Assert.Equal(preimage, await _host.PayAsync(paid));
        Assert.Equal(InvoiceState.Open, await StateAsync(fresh));
        Assert.Equal(2, _host.Count("dev_invoices"));
    }

    [Fact]
    public async Task More_than_one_transaction_of_invoices_is_deleted()
    {
        var store = _host.Services.GetRequiredService<DevInvoiceStore>();
        await InvoiceAsync("slow zoom in");
        var expired = Enumerable.Range(0, 2500).Select(i => new Lightning.DevNode.DevInvoice(
            BitConverter.GetBytes((long)i).Concat(new byte[24]).ToArray(), "lnbcrt" + i, new byte[32], 1000, _clock.GetUtcNow().AddHours(-2), null));
        await Task.WhenAll(expired.Select(invoice => store.AddAsync(invoice, CancellationToken.None)));

        Assert.Equal(2500, await _host.Services.GetRequiredService<DevInvoicePruner>().PruneAsync(CancellationToken.None));
        Assert.Equal(1, _host.Count("dev_invoices"));
    }

    private async Task<string> InvoiceAsync(string prompt)
    {
        using var challenge = await _host.AnimateAsync(TestHost.Body(prompt));
        return (await _host.JsonAsync(challenge))["invoice"]!.GetValue<string>();
    }

    private async Task<HttpStatusCode> PayStatusAsync(string invoice)
    {
        using var response = await _host.CreateClient().PostAsJsonAsync("/api/dev/pay", new { invoice });
        return response.StatusCode;
    }

    private async Task<InvoiceState> StateAsync(string invoice) =>
        (await _host.Services.GetRequiredService<ILightningBackend>().LookupInvoiceAsync(Bolt11Codec.Decode(invoice).PaymentHash, CancellationToken.None)).State;

    public void Dispose() => _host.Dispose();
}
