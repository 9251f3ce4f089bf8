using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Tests;

/// <summary>
/// VerifySettlement (default on for real backends): a preimage alone is not enough until the backend reports the
/// invoice settled. The preimage here is read from the dev node's store, as a backend's leak or lag would expose it.
/// </summary>
public sealed class SettlementCheckTests
{
    private static async Task<(string Body, string Macaroon, string Invoice, string Preimage)> UnpaidWithKnownPreimageAsync(TestHost host)
    {
        var body = TestHost.Body();
        using var challenge = await host.AnimateAsync(body);
        var json = await host.JsonAsync(challenge);
        using var connection = host.Services.GetRequiredService<Database>().Open();
        using var command = connection.Sql("SELECT preimage FROM dev_invoices WHERE payment_hash = @hash", ("@hash", json["payment_hash"]!.GetValue<string>()));
        return (body, json["macaroon"]!.GetValue<string>(), json["invoice"]!.GetValue<string>(), (string)command.ExecuteScalar()!);
    }

    [Fact]
    public async Task With_the_check_an_unsettled_invoice_redeems_nothing_until_it_is_paid()
    {
        using var host = new TestHost(settings: new() { ["SatsMotion:VerifySettlement"] = "true" });
        var (body, macaroon, invoice, preimage) = await UnpaidWithKnownPreimageAsync(host);

        using var early = await host.AnimateAsync(body, TestHost.Credential(macaroon, preimage));
        Assert.Equal(HttpStatusCode.PaymentRequired, early.StatusCode);
        Assert.Equal("PAYMENT_NOT_SETTLED", (await host.JsonAsync(early))["error_code"]!.GetValue<string>());
        Assert.Equal(0, host.Count("jobs"));

        await host.PayAsync(invoice);
        using var paid = await host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "respond-async");
        Assert.True(paid.IsSuccessStatusCode, await paid.Content.ReadAsStringAsync());
        Assert.Equal(1, host.Count("jobs"));
    }

    [Fact]
    public async Task Without_the_check_the_dev_node_trusts_the_preimage()
    {
        using var host = new TestHost();
        var (body, macaroon, _, preimage) = await UnpaidWithKnownPreimageAsync(host);
        using var response = await host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "respond-async");
        Assert.True(response.IsSuccessStatusCode);
    }
}
