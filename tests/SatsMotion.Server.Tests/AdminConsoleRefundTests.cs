using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Lightning;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Lightning.DevNode;
using SatsMotion.Server.Admin;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Tests;

/// <summary>
/// The console's answer to a refund claim whose pay-out the node cannot resolve (an NWC wallet whose lookup_invoice
/// does not find its own payment): paid only with the payment's preimage, released only once the claimed invoice has
/// expired and no pay-out of it runs, only while claiming, once, and logged with who did it.
/// </summary>
public sealed class AdminConsoleRefundTests : IDisposable
{
    private static readonly TimeSpan InvoiceExpiry = TimeSpan.FromMinutes(10);

    private readonly ManualClock _clock = new();
    private readonly TestHost _host;

    public AdminConsoleRefundTests()
    {
        _host = new TestHost(clock: _clock, settings: new()
        {
            ["SatsMotion:Refunds"] = "true",
            ["SatsMotion:EncoderPreset"] = "no-such-preset",
            ["SatsMotion:MaxAttempts"] = "1",
        }, services: services => services.AddSingleton<ILightningBackend>(sp => new UndecidedWallet(sp.GetRequiredService<DevLightningNode>())));
        _ = _host.Server;
    }

    public void Dispose() => _host.Dispose();

    private UndecidedWallet Wallet => (UndecidedWallet)_host.Services.GetRequiredService<ILightningBackend>();

    private string Key => File.ReadAllText(Path.Combine(_host.DataDirectory, "admin.key")).Trim();

    private HttpClient Script()
    {
        var client = _host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        client.DefaultRequestHeaders.Authorization = new("Bearer", Key);
        client.DefaultRequestHeaders.Accept.ParseAdd("application/json");
        return client;
    }

    private async Task<(HttpClient Browser, string Csrf)> SignedInAsync()
    {
        var browser = _host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        using (var signIn = await browser.PostAsync("/admin/sign-in", new FormUrlEncodedContent([new("key", Key)])))
        {
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        }

        var page = await browser.GetStringAsync("/admin/money");
        var csrf = System.Text.RegularExpressions.Regex.Match(page, "name=\"csrf\" value=\"([0-9a-f]{64})\"").Groups[1].Value;
        Assert.NotEmpty(csrf);
        return (browser, csrf);
    }

    /// <summary>A job paid through the dev node that FAILED, so its refund is offered: its id and the refund's k1.</summary>
    private async Task<(string JobId, string K1)> RefundOfferedAsync()
    {
        var body = TestHost.Body();
        using var challenge = await _host.AnimateAsync(body);
        var offer = await _host.JsonAsync(challenge);
        var preimage = await _host.Services.GetRequiredService<DevLightningNode>().PayAsync(offer["invoice"]!.GetValue<string>(), CancellationToken.None);
        using var failed = await _host.AnimateAsync(body, TestHost.Credential(offer["macaroon"]!.GetValue<string>(), Convert.ToHexStringLower(preimage)));
        var job = await _host.JsonAsync(failed);
        Assert.True(failed.StatusCode == HttpStatusCode.InternalServerError, job.ToJsonString());
        var jobId = job["jobId"]!.GetValue<string>();
        return (jobId, (await Refunds.FindByJobAsync(jobId, CancellationToken.None))!.K1);
    }

    private RefundStore Refunds => _host.Services.GetRequiredService<RefundStore>();

    private async Task<RefundStatus> StatusAsync(string jobId) => (await Refunds.FindByJobAsync(jobId, CancellationToken.None))!.Status;

    /// <summary>A refund invoice as the caller's wallet makes it, for exactly the price: the invoice and its preimage (hex).</summary>
    private (string Invoice, string Preimage) WalletInvoice()
    {
        var preimage = RandomNumberGenerator.GetBytes(32);
        var invoice = Bolt11Codec.Encode(Bolt11Network.Regtest, 300_000, DateTimeOffset.FromUnixTimeSeconds(_clock.GetUtcNow().ToUnixTimeSeconds()),
            [Bolt11TaggedField.PaymentHash(SHA256.HashData(preimage)), Bolt11TaggedField.PaymentSecret(RandomNumberGenerator.GetBytes(32)), Bolt11TaggedField.Description("refund"),
                Bolt11TaggedField.Expiry((long)InvoiceExpiry.TotalSeconds)],
            RandomNumberGenerator.GetBytes(32));
        return (invoice, Convert.ToHexStringLower(preimage));
    }

    private async Task<JsonNode> ClaimAsync(string k1, string invoice) =>
        (await _host.CreateClient().GetFromJsonAsync<JsonNode>($"/lnurlw/{k1}/callback?k1={k1}&pr={invoice}"))!;

    /// <summary>A refund claimed whose pay-out ended without an outcome and that the node cannot resolve: claiming after a reconciler pass.</summary>
    private async Task<(string JobId, string K1, string Invoice, string Preimage)> UnresolvedClaimAsync()
    {
        var (jobId, k1) = await RefundOfferedAsync();
        var (invoice, preimage) = WalletInvoice();
        var claim = await ClaimAsync(k1, invoice);
        Assert.Contains("not known yet", claim["reason"]!.GetValue<string>());
        Assert.Equal(1, await _host.Services.GetRequiredService<RefundReconciler>().ReconcileAsync(CancellationToken.None));
        Assert.Equal(RefundStatus.Claiming, await StatusAsync(jobId));
        return (jobId, k1, invoice, preimage);
    }

    private static FormUrlEncodedContent Resolve(string jobId, string outcome, string? preimage = null, string? csrf = null) => new(
        [new("job_id", jobId), new("outcome", outcome), .. preimage is null ? Array.Empty<KeyValuePair<string, string>>() : [new("preimage", preimage)],
            .. csrf is null ? Array.Empty<KeyValuePair<string, string>>() : [new("csrf", csrf)]]);

    private async Task<IReadOnlyList<Admin.AdminAction>> ActionsAsync() => await _host.Services.GetRequiredService<Admin.AdminActionLog>().ListAsync(10, CancellationToken.None);

    private static async Task<string?> FieldAsync(HttpResponseMessage response) => (await response.Content.ReadFromJsonAsync<JsonNode>())!["field"]?.GetValue<string>();

    private static async Task<string> ErrorCodeAsync(HttpResponseMessage response) => (await response.Content.ReadFromJsonAsync<JsonNode>())!["error_code"]!.GetValue<string>();

    [Fact]
    public async Task Paid_with_the_payments_preimage_ends_the_claim_claimed_and_is_logged_with_who_and_a_wrong_one_changes_nothing()
    {
        var (jobId, _, invoice, preimage) = await UnresolvedClaimAsync();
        var (browser, csrf) = await SignedInAsync();
        var page = await browser.GetStringAsync("/admin/money");
        Assert.Contains($"data-resolve=\"{jobId}\"", page);
        Assert.Contains(Bolt11Codec.Decode(invoice).PaymentHashHex, page);

        // The console's filter stands in front of this action too: another site cannot make the browser resolve.
        using (var crossSite = new HttpRequestMessage(HttpMethod.Post, "/admin/refunds/resolve") { Content = Resolve(jobId, "paid", preimage, csrf) })
        {
            crossSite.Headers.Add("Origin", "https://evil.example");
            using var refused = await browser.SendAsync(crossSite);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        foreach (var wrong in new[] { Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), Bolt11Codec.Decode(invoice).PaymentHashHex, "not-hex", "" })
        {
            using var refused = await browser.PostAsync("/admin/refunds/resolve", Resolve(jobId, "paid", wrong, csrf));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("preimage", await FieldAsync(refused));
        }

        using (var missing = await browser.PostAsync("/admin/refunds/resolve", Resolve(jobId, "paid", csrf: csrf)))
        {
            Assert.Equal("preimage", await FieldAsync(missing));
        }

        Assert.Equal(RefundStatus.Claiming, await StatusAsync(jobId));
        Assert.Empty(await ActionsAsync());

        using var done = await browser.PostAsync("/admin/refunds/resolve", Resolve(jobId, "paid", preimage.ToUpperInvariant(), csrf));
        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        Assert.Equal("/admin/money?notice=refund-paid", done.Headers.Location!.OriginalString);
        Assert.Equal(RefundStatus.Claimed, await StatusAsync(jobId));
        var action = Assert.Single(await ActionsAsync());
        Assert.Equal(("resolve-refund-paid", jobId), (action.Action, action.Target));
        Assert.Matches("^session [0-9a-f]{8} from ", action.Who);
        Assert.Equal(_clock.GetUtcNow().ToUnixTimeMilliseconds(), action.At.ToUnixTimeMilliseconds());
        var after = await browser.GetStringAsync("/admin/money?notice=refund-paid");
        Assert.Contains("the refund is claimed", after);
        Assert.DoesNotContain("data-resolve=", after);
        Assert.Empty(Wallet.PaidOut);
    }

    [Fact]
    public async Task Release_waits_until_no_payment_of_the_claim_can_settle_then_the_refund_is_claimed_again_and_paid_once()
    {
        var (jobId, k1, invoice, _) = await UnresolvedClaimAsync();
        var expiresAt = Bolt11Codec.Decode(invoice).ExpiresAt;
        var listed = (await Script().GetFromJsonAsync<JsonNode>("/admin/money"))!["refunds"]!.AsArray().Single(r => r!["job_id"]!.GetValue<string>() == jobId)!;
        Assert.Equal("Claiming", listed["status"]!.GetValue<string>());
        Assert.Equal(Bolt11Codec.Decode(invoice).PaymentHashHex, listed["payment_hash"]!.GetValue<string>());
        Assert.Equal(expiresAt, listed["invoice_expires_at"]!.GetValue<DateTimeOffset>());

        // Before the invoice expires, and after it while a payment the claimant's node accepted in time could still be
        // held and settled (a hold invoice): refused, with the time the release becomes possible.
        _clock.Advance(InvoiceExpiry - TimeSpan.FromSeconds(2));
        var releasableAt = DateTimeOffset.MinValue;
        foreach (var step in new[] { TimeSpan.Zero, TimeSpan.FromSeconds(3), AdminEndpoints.HtlcLockLimit - InvoiceExpiry - TimeSpan.FromMinutes(1) })
        {
            _clock.Advance(step);
            using var early = await Script().PostAsync("/admin/refunds/resolve", Resolve(jobId, "failed"));
            Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
            var refusal = (await early.Content.ReadFromJsonAsync<JsonNode>())!;
            Assert.Equal("REFUND_RELEASE_TOO_EARLY", refusal["error_code"]!.GetValue<string>());
            releasableAt = refusal["releasable_at"]!.GetValue<DateTimeOffset>();
            Assert.True(releasableAt >= expiresAt + AdminEndpoints.HtlcLockLimit - InvoiceExpiry - TimeSpan.FromMinutes(1), $"{releasableAt} is too soon");
            Assert.InRange(early.Headers.RetryAfter!.Delta!.Value, releasableAt - _clock.GetUtcNow() - TimeSpan.FromSeconds(1), releasableAt - _clock.GetUtcNow() + TimeSpan.FromSeconds(1));
        }

        Assert.Equal(RefundStatus.Claiming, await StatusAsync(jobId));
        Assert.Empty(await ActionsAsync());

        _clock.Advance(releasableAt - _clock.GetUtcNow());
        using (var released = await Script().PostAsync("/admin/refunds/resolve", Resolve(jobId, "failed")))
        {
            Assert.Equal(HttpStatusCode.OK, released.StatusCode);
            Assert.Equal("Available", (await released.Content.ReadFromJsonAsync<JsonNode>())!["status"]!.GetValue<string>());
        }

        Assert.Equal(RefundStatus.Available, await StatusAsync(jobId));
        var action = Assert.Single(await ActionsAsync());
        Assert.Equal(("resolve-refund-failed", jobId), (action.Action, action.Target));
        Assert.StartsWith("bearer key from ", action.Who);

        // Offered again: another invoice is paid, once; the refund is then claimed and no further claim is paid.
        Wallet.PaysOut = true;
        var (second, _) = WalletInvoice();
        Assert.Equal("OK", (await ClaimAsync(k1, second))["status"]!.GetValue<string>());
        Assert.Equal(RefundStatus.Claimed, await StatusAsync(jobId));
        Assert.Equal("ERROR", (await ClaimAsync(k1, WalletInvoice().Invoice))["status"]!.GetValue<string>());
        Assert.Equal([second], Wallet.PaidOut);

        using var again = await Script().PostAsync("/admin/refunds/resolve", Resolve(jobId, "failed"));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("REFUND_NOT_CLAIMING", await ErrorCodeAsync(again));
    }

    [Fact]
    public async Task Only_a_claim_no_pay_out_is_still_running_for_can_be_resolved()
    {
        var (jobId, k1) = await RefundOfferedAsync();
        var (invoice, preimage) = WalletInvoice();
        foreach (var outcome in new[] { "paid", "failed" })
        {
            using var available = await Script().PostAsync("/admin/refunds/resolve", Resolve(jobId, outcome, preimage));
            Assert.Equal(HttpStatusCode.Conflict, available.StatusCode);
            Assert.Equal("REFUND_NOT_CLAIMING", await ErrorCodeAsync(available));
        }

        using (var unknown = await Script().PostAsync("/admin/refunds/resolve", Resolve(new string('0', 32), "failed")))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        // This server's pay-out call is on its way (the wallet holds it) when the invoice expires: nobody may decide yet.
        Wallet.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var claim = ClaimAsync(k1, invoice);
        var paying = _host.Services.GetRequiredService<Jobs.Refunds>();
        for (var i = 0; i < 200 && !paying.IsPaying(k1); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(paying.IsPaying(k1));
        _clock.Advance(InvoiceExpiry + TimeSpan.FromSeconds(1));
        foreach (var outcome in new[] { "paid", "failed" })
        {
            using var refused = await Script().PostAsync("/admin/refunds/resolve", Resolve(jobId, outcome, preimage));
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Equal("REFUND_STILL_PAYING", await ErrorCodeAsync(refused));
        }

        Assert.Equal(RefundStatus.Claiming, await StatusAsync(jobId));
        Wallet.Gate.SetResult();
        Assert.Contains("not known yet", (await claim)["reason"]!.GetValue<string>());

        // Its call over without an outcome, the claim is the operator's to decide (once no payment of it can settle).
        _clock.Advance(AdminEndpoints.HtlcLockLimit);
        using var released = await Script().PostAsync("/admin/refunds/resolve", Resolve(jobId, "failed"));
        Assert.Equal(HttpStatusCode.OK, released.StatusCode);
        Assert.Equal(RefundStatus.Available, await StatusAsync(jobId));
    }

    /// <summary>
    /// The dev node for the callers' payments; for pay-outs, a wallet like many NWC ones: the pay-out call ends
    /// without an outcome (unless told to pay), and a lookup of the payment cannot say (lookup_invoice NOT_FOUND).
    /// </summary>
    private sealed class UndecidedWallet(DevLightningNode node) : ILightningBackend
    {
        private readonly List<string> _paidOut = [];

        /// <summary>When set, pay-outs wait for it.</summary>
        public TaskCompletionSource? Gate { get; set; }

        public bool PaysOut { get; set; }

        public IReadOnlyList<string> PaidOut
        {
            get
            {
                lock (_paidOut)
                {
                    return [.. _paidOut];
                }
            }
        }

        public string Name => "an NWC-like wallet";

        public bool IsDevelopment => false;

        public Task<NodeInfo> GetInfoAsync(CancellationToken cancellationToken) => node.GetInfoAsync(cancellationToken);

        public Task<CreatedInvoice> CreateInvoiceAsync(long amountSat, string description, TimeSpan expiry, CancellationToken cancellationToken) =>
            node.CreateInvoiceAsync(amountSat, description, expiry, cancellationToken);

        public Task<InvoiceStatus> LookupInvoiceAsync(byte[] paymentHash, CancellationToken cancellationToken) => node.LookupInvoiceAsync(paymentHash, cancellationToken);

        public async Task<PaymentResult> PayInvoiceAsync(string paymentRequest, long? maxFeeSat, CancellationToken cancellationToken)
        {
            if (Gate is { } gate)
            {
                await gate.Task;
            }

            if (!PaysOut)
            {
                throw new LightningBackendException(LightningFailure.Unavailable, "the wallet did not answer within the pay-out's time");
            }

            lock (_paidOut)
            {
                _paidOut.Add(paymentRequest);
            }

            return new PaymentResult(new byte[32], 0);
        }

        public Task<OutgoingPayment> LookupPaymentAsync(byte[] paymentHash, CancellationToken cancellationToken) => Task.FromResult(new OutgoingPayment(PaymentState.Unknown));
    }
}
