using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.L402.Macaroons;
using SatsMotion.Lightning;
using SatsMotion.Lightning.DevNode;
using SatsMotion.Server.Api;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Tests;

/// <summary>
/// The Payment scheme (MPP, Lightning charge) on the same 402 as L402: the challenge, the receipt, and the money
/// path's refusals — tampering, a foreign id, a wrong preimage, expiry, another request, replays across schemes.
/// </summary>
public sealed class MppTests : IDisposable
{
    private readonly ManualClock _clock = new();
    private readonly TestHost _host;

    public MppTests() => _host = new TestHost(clock: _clock);

    private async Task<(HttpResponseMessage Response, JsonNode Body)> ChallengeAsync(string body)
    {
        var response = await _host.AnimateAsync(body);
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        return (response, await _host.JsonAsync(response));
    }

    // Asks for a 402, pays its one invoice: the Payment challenge, its preimage, and the 402's body (with the macaroon).
    private async Task<(Dictionary<string, string> Challenge, string Preimage, JsonNode Body)> BuyAsync(string body)
    {
        var (response, json) = await ChallengeAsync(body);
        using (response)
        {
            return (MppCaller.Challenge(response), await _host.PayAsync(json["invoice"]!.GetValue<string>()), json);
        }
    }

    private async Task<JsonNode> RefusedAsync(string body, string authorization, HttpStatusCode status, string code, string problem)
    {
        using var response = await _host.AnimateAsync(body, authorization);
        var error = await _host.JsonAsync(response);
        Assert.True(status == response.StatusCode, $"{response.StatusCode}: {error}");
        Assert.Equal(code, error["error_code"]!.GetValue<string>());
        Assert.Equal("https://paymentauth.org/problems/" + problem, error["type"]!.GetValue<string>());
        Assert.Equal((int)status, error["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(error["hint"]?.GetValue<string>()));
        Assert.False(MppCaller.HasReceipt(response));

        // A fresh pair of challenges for the request that was sent, never the refused one again.
        var fresh = MppCaller.Challenge(response);
        Assert.Equal(error["challengeId"]!.GetValue<string>(), fresh["id"]);
        Assert.Equal(error["invoice"]!.GetValue<string>(), MppCaller.Request(fresh)["methodDetails"]!["invoice"]!.GetValue<string>());
        Assert.NotNull(MppCaller.Line(response, "L402"));
        Assert.Equal(0, _host.Count("jobs"));
        return error;
    }

    [Fact]
    public async Task The_402_offers_both_schemes_for_one_invoice_and_is_never_cached()
    {
        var (response, body) = await ChallengeAsync(TestHost.Body());
        using (response)
        {
            Assert.Equal(["L402", "Payment"], response.Headers.WwwAuthenticate.Select(h => h.Scheme));
            Assert.True(response.Headers.CacheControl!.NoStore);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);

            // The body is RFC 9457 problem details that still carries our own fields.
            Assert.Equal("https://paymentauth.org/problems/payment-required", body["type"]!.GetValue<string>());
            Assert.Equal(402, body["status"]!.GetValue<int>());
            Assert.Equal("PAYMENT_REQUIRED", body["error_code"]!.GetValue<string>());
            Assert.Equal(300, body["price_sats"]!.GetValue<long>());

            var challenge = MppCaller.Challenge(response);
            Assert.Equal(["id", "realm", "method", "intent", "request", "expires"], challenge.Keys);
            Assert.Equal(body["challengeId"]!.GetValue<string>(), challenge["id"]);
            Assert.Equal(("lightning", "charge"), (challenge["method"], challenge["intent"]));
            Assert.All(MppCaller.Line(response, "Payment")!.ToString(), c => Assert.InRange(c, ' ', '~'));
            Assert.DoesNotContain('=', challenge["request"]);

            var request = MppCaller.Request(challenge);
            Assert.Equal("300", request["amount"]!.GetValue<string>());
            Assert.Equal("sat", request["currency"]!.GetValue<string>());
            var invoice = body["invoice"]!.GetValue<string>();
            Assert.Equal(invoice, request["methodDetails"]!["invoice"]!.GetValue<string>());
            Assert.Equal(body["payment_hash"]!.GetValue<string>(), request["methodDetails"]!["paymentHash"]!.GetValue<string>());
            Assert.Equal(invoice.StartsWith("lnbcrt", StringComparison.Ordinal) ? "regtest" : "mainnet", request["methodDetails"]!["network"]!.GetValue<string>());

            // Not later than the invoice: a Payment challenge that outlives its invoice could only be paid by luck.
            var expires = DateTimeOffset.Parse(challenge["expires"], System.Globalization.CultureInfo.InvariantCulture);
            Assert.EndsWith("Z", challenge["expires"]);
            Assert.True(expires <= body["expires_at"]!.GetValue<DateTimeOffset>());
            Assert.True(expires > _clock.GetUtcNow());
        }
    }

    [Fact]
    public async Task A_paid_Payment_credential_buys_the_video_with_a_receipt_that_names_the_payment_not_the_preimage()
    {
        var body = TestHost.Body();
        var (challenge, preimage, json) = await BuyAsync(body);
        using var response = await _host.AnimateAsync(body, MppCaller.Credential(challenge, preimage));
        var job = await _host.JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, job.ToJsonString());
        Assert.Equal("COMPLETED", job["status"]!.GetValue<string>());
        Assert.True(response.Headers.CacheControl!.Private);

        var receipt = MppCaller.Receipt(response);
        Assert.Equal("success", receipt["status"]!.GetValue<string>());
        Assert.Equal("lightning", receipt["method"]!.GetValue<string>());
        Assert.Equal(json["payment_hash"]!.GetValue<string>(), receipt["reference"]!.GetValue<string>());
        Assert.Equal(challenge["id"], receipt["challengeId"]!.GetValue<string>());
        Assert.EndsWith("Z", receipt["timestamp"]!.GetValue<string>());
        Assert.DoesNotContain(preimage, receipt.ToJsonString());
        Assert.DoesNotContain(preimage, job.ToJsonString());
        Assert.Equal(1, _host.Count("jobs"));
    }

    [Theory]
    [InlineData("Payment", false)]
    [InlineData("payment", true)]
    [InlineData("PAYMENT", false)]
    public async Task The_scheme_name_is_case_insensitive_and_padding_is_optional(string scheme, bool padded)
    {
        var body = TestHost.Body();
        var (challenge, preimage, _) = await BuyAsync(body);
        using var response = await _host.AnimateAsync(body, MppCaller.Credential(challenge, preimage, padded, scheme), "respond-async");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_members_of_the_credential_may_come_in_any_order()
    {
        var body = TestHost.Body();
        var (challenge, preimage, _) = await BuyAsync(body);
        var echoed = new JsonObject();
        foreach (var (name, value) in challenge.Reverse())
        {
            echoed[name] = value;
        }

        var json = new JsonObject { ["payload"] = new JsonObject { ["preimage"] = preimage.ToUpperInvariant() }, ["challenge"] = echoed };
        using var response = await _host.AnimateAsync(body, "Payment " + MppCaller.Encode(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), padded: false), "respond-async");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public static TheoryData<string> Tamperings() => ["amount", "invoice", "externalId", "expires", "realm", "id", "digest", "header"];

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task An_altered_echo_is_an_invalid_challenge(string part)
    {
        var body = TestHost.Body();
        var (challenge, preimage, _) = await BuyAsync(body);
        var altered = part switch
        {
            "amount" => MppCaller.With(challenge, "request", MppCaller.RequestWith(challenge, r => r["amount"] = "1")),
            "invoice" => MppCaller.With(challenge, "request", MppCaller.RequestWith(challenge, r => r["methodDetails"]!["invoice"] = "lnbcrt1other")),
            "externalId" => MppCaller.With(challenge, "request", MppCaller.RequestWith(challenge, r => r["externalId"] = new string('0', 64))),
            "expires" => MppCaller.With(challenge, "expires", _clock.GetUtcNow().AddDays(30).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture)),
            "realm" => MppCaller.With(challenge, "realm", "elsewhere.example"),
            "id" => MppCaller.With(challenge, "id", MppCaller.Encode(RandomNumberGenerator.GetBytes(32), padded: false)),
            "header" => MppCaller.With(challenge, "header", "Payment-Authorization"), // draft -01 binds an echoed header: ours never had one
            _ => MppCaller.With(challenge, "digest", "sha-256=:" + Convert.ToBase64String(new byte[32]) + ":"),
        };
        await RefusedAsync(body, MppCaller.Credential(altered, preimage), HttpStatusCode.PaymentRequired, "MPP_INVALID_CHALLENGE", "invalid-challenge");
    }

    [Fact]
    public async Task A_credential_in_Payment_Authorization_does_not_satisfy_a_challenge_that_did_not_select_it()
    {
        // Draft -01: a credential counts only in the field its challenge selects, Authorization when it names none.
        var body = TestHost.Body();
        var (challenge, preimage, _) = await BuyAsync(body);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/l402/animate-image") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Payment-Authorization", MppCaller.Credential(challenge, preimage));
        using var response = await _host.CreateClient().SendAsync(request);
        var answer = await _host.JsonAsync(response);
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.Equal("https://paymentauth.org/problems/payment-required", answer["type"]!.GetValue<string>());
        Assert.False(MppCaller.HasReceipt(response));
        Assert.Equal(0, _host.Count("jobs"));
    }

    [Fact]
    public async Task A_challenge_issued_by_another_server_is_refused()
    {
        var body = TestHost.Body();
        using var other = new TestHost();
        using var foreign = await other.AnimateAsync(body);
        var challenge = MppCaller.Challenge(foreign);
        var preimage = await other.PayAsync((await other.JsonAsync(foreign))["invoice"]!.GetValue<string>());
        await RefusedAsync(body, MppCaller.Credential(challenge, preimage), HttpStatusCode.PaymentRequired, "MPP_INVALID_CHALLENGE", "invalid-challenge");
    }

    [Fact]
    public async Task A_preimage_of_another_invoice_is_refused()
    {
        var body = TestHost.Body();
        var (challenge, _, _) = await BuyAsync(body);
        var (_, otherPreimage, _) = await BuyAsync(TestHost.Body(prompt: "pan left"));
        await RefusedAsync(body, MppCaller.Credential(challenge, otherPreimage), HttpStatusCode.PaymentRequired, "MPP_INVALID_PREIMAGE", "lightning/invalid-preimage");
    }

    [Theory]
    [InlineData("not base64url!")]
    [InlineData("e30")] // {}
    [InlineData("eyJjaGFsbGVuZ2UiOnt9fQ")] // {"challenge":{}}
    public async Task A_credential_that_is_not_the_drafts_shape_is_malformed(string token)
    {
        var body = TestHost.Body();
        await RefusedAsync(body, "Payment " + token, HttpStatusCode.PaymentRequired, "MPP_MALFORMED_CREDENTIAL", "malformed-credential");
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    public async Task A_preimage_that_is_not_64_hex_digits_is_malformed(string preimage)
    {
        var body = TestHost.Body();
        var (challenge, _, _) = await BuyAsync(body);
        await RefusedAsync(body, MppCaller.Credential(challenge, preimage), HttpStatusCode.PaymentRequired, "MPP_MALFORMED_CREDENTIAL", "lightning/malformed-credential");
    }

    [Fact]
    public async Task Another_method_is_400_method_unsupported()
    {
        var body = TestHost.Body();
        var (challenge, preimage, _) = await BuyAsync(body);
        await RefusedAsync(body, MppCaller.Credential(MppCaller.With(challenge, "method", "tempo"), preimage), HttpStatusCode.BadRequest, "MPP_METHOD_UNSUPPORTED", "method-unsupported");
    }

    [Fact]
    public async Task An_expired_challenge_is_refused_but_the_same_payment_still_redeems_with_its_L402_credential()
    {
        var body = TestHost.Body();
        var (challenge, preimage, json) = await BuyAsync(body);
        _clock.Advance(TimeSpan.FromHours(2));
        var error = await RefusedAsync(body, MppCaller.Credential(challenge, preimage), HttpStatusCode.PaymentRequired, "MPP_CHALLENGE_EXPIRED", "payment-expired");
        Assert.Contains("L402", error["hint"]!.GetValue<string>());

        using var l402 = await _host.AnimateAsync(body, TestHost.Credential(json["macaroon"]!.GetValue<string>(), preimage), "respond-async");
        Assert.True(l402.IsSuccessStatusCode, await l402.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_credential_paid_for_one_request_is_refused_for_another_with_a_fresh_challenge_for_that_one()
    {
        var (challenge, preimage, _) = await BuyAsync(TestHost.Body(prompt: "zoom in"));
        var other = TestHost.Body(prompt: "zoom out", duration: 5);
        var error = await RefusedAsync(other, MppCaller.Credential(challenge, preimage), HttpStatusCode.PaymentRequired, "MPP_REQUEST_MISMATCH", "verification-failed");
        Assert.Equal(500, error["price_sats"]!.GetValue<long>());
        Assert.NotEqual(challenge["id"], error["challengeId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_replay_returns_the_same_job_with_a_receipt_and_never_a_second_one()
    {
        var body = TestHost.Body();
        var (challenge, preimage, _) = await BuyAsync(body);
        var credential = MppCaller.Credential(challenge, preimage);
        using var first = await _host.AnimateAsync(body, credential, "respond-async");
        using var second = await _host.AnimateAsync(body, credential, "respond-async");
        Assert.True(first.IsSuccessStatusCode && second.IsSuccessStatusCode);
        Assert.Equal((await _host.JsonAsync(first))["jobId"]!.GetValue<string>(), (await _host.JsonAsync(second))["jobId"]!.GetValue<string>());
        Assert.Equal(challenge["id"], MppCaller.Receipt(second)["challengeId"]!.GetValue<string>());
        Assert.Equal(1, _host.Count("jobs"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task One_invoice_redeemed_with_either_credential_is_one_job(bool l402First)
    {
        var body = TestHost.Body();
        var (challenge, preimage, json) = await BuyAsync(body);
        var credentials = new[] { TestHost.Credential(json["macaroon"]!.GetValue<string>(), preimage), MppCaller.Credential(challenge, preimage) };
        if (!l402First)
        {
            Array.Reverse(credentials);
        }

        var jobs = new List<string>();
        foreach (var credential in credentials)
        {
            using var response = await _host.AnimateAsync(body, credential, "respond-async");
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            Assert.Equal(credential.StartsWith("Payment", StringComparison.Ordinal), MppCaller.HasReceipt(response));
            jobs.Add((await _host.JsonAsync(response))["jobId"]!.GetValue<string>());
        }

        Assert.Single(jobs.Distinct());
        Assert.Equal(1, _host.Count("jobs"));
    }

    [Fact]
    public async Task Both_credentials_at_once_race_to_one_job()
    {
        var body = TestHost.Body();
        var (challenge, preimage, json) = await BuyAsync(body);
        var attempts = Enumerable.Range(0, 8).Select(async i =>
        {
            using var response = await _host.AnimateAsync(body, i % 2 == 0 ? MppCaller.Credential(challenge, preimage) : TestHost.Credential(json["macaroon"]!.GetValue<string>(), preimage), "respond-async");
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            return (await _host.JsonAsync(response))["jobId"]!.GetValue<string>();
        });
        Assert.Single((await Task.WhenAll(attempts)).Distinct());
        Assert.Equal(1, _host.Count("jobs"));
    }

    [Fact]
    public async Task Revoking_the_token_of_an_invoice_refuses_its_Payment_credential_with_403()
    {
        var body = TestHost.Body();
        var (challenge, preimage, json) = await BuyAsync(body);
        using (var paid = await _host.AnimateAsync(body, MppCaller.Credential(challenge, preimage), "respond-async"))
        {
            Assert.True(paid.IsSuccessStatusCode);
        }

        // The operator revokes by token id (from the jobs table, or the macaroon): one id for both schemes.
        var tokenId = Convert.ToHexStringLower(MacaroonSerializer.Deserialize(json["macaroon"]!.GetValue<string>()).Identifier[34..]);
        await ((RevocationStore)_host.Services.GetService(typeof(RevocationStore))!).RevokeAsync(tokenId, "leaked", CancellationToken.None);

        using var response = await _host.AnimateAsync(body, MppCaller.Credential(challenge, preimage));
        var error = await _host.JsonAsync(response);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("PAYMENT_REVOKED", error["error_code"]!.GetValue<string>());
        Assert.False(MppCaller.HasReceipt(response));
    }

    [Fact]
    public async Task Two_Payment_credentials_in_one_request_are_400_and_charge_nothing()
    {
        var body = TestHost.Body();
        var (challenge, preimage, _) = await BuyAsync(body);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/l402/animate-image") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", [MppCaller.Credential(challenge, preimage), MppCaller.Credential(challenge, preimage)]);
        using var response = await _host.CreateClient().SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("MPP_MULTIPLE_CREDENTIALS", (await _host.JsonAsync(response))["error_code"]!.GetValue<string>());
        Assert.Equal(0, _host.Count("jobs"));
    }

    [Fact]
    public async Task Unsettled_at_the_node_redeems_nothing_until_it_is_paid()
    {
        using var host = new TestHost(settings: new() { ["SatsMotion:VerifySettlement"] = "true" });
        var body = TestHost.Body();
        using var challengeResponse = await host.AnimateAsync(body);
        var json = await host.JsonAsync(challengeResponse);
        var challenge = MppCaller.Challenge(challengeResponse);
        using var connection = host.Services.GetRequiredService<Database>().Open();
        using var command = connection.Sql("SELECT preimage FROM dev_invoices WHERE payment_hash = @hash", ("@hash", json["payment_hash"]!.GetValue<string>()));
        var preimage = (string)command.ExecuteScalar()!;

        using (var early = await host.AnimateAsync(body, MppCaller.Credential(challenge, preimage)))
        {
            Assert.Equal(HttpStatusCode.PaymentRequired, early.StatusCode);
            var problem = await host.JsonAsync(early);
            Assert.Equal("PAYMENT_NOT_SETTLED", problem["error_code"]!.GetValue<string>());
            Assert.Equal(ChallengeIssuer.ProblemBase + "verification-failed", problem["type"]!.GetValue<string>());
            Assert.Equal("application/problem+json", early.Content.Headers.ContentType!.MediaType);
            Assert.False(MppCaller.HasReceipt(early));
            // Never a 402 without a Payment challenge: the one already held, whose invoice is the one to pay, not a new invoice.
            var only = Assert.Single(early.Headers.WwwAuthenticate);
            Assert.Equal(challenge["id"], MppCaller.Parse(only.Parameter!)["id"]);
        }

        Assert.Equal(0, host.Count("jobs"));
        await host.PayAsync(json["invoice"]!.GetValue<string>());
        using var paid = await host.AnimateAsync(body, MppCaller.Credential(challenge, preimage), "respond-async");
        Assert.True(paid.IsSuccessStatusCode, await paid.Content.ReadAsStringAsync());
        Assert.True(MppCaller.HasReceipt(paid));
    }

    [Fact]
    public async Task A_challenge_issued_before_a_secret_rotation_redeems_while_the_old_secret_is_kept_and_not_once_it_is_dropped()
    {
        var data = Directory.CreateTempSubdirectory("satsmotion-mpp-rotation-").FullName;
        var (old, current) = (Convert.ToHexString(RandomNumberGenerator.GetBytes(32)), Convert.ToHexString(RandomNumberGenerator.GetBytes(32)));
        var body = TestHost.Body();
        Dictionary<string, string> challenge;
        string preimage;
        using (var before = new TestHost(data, settings: new() { ["SatsMotion:ServerSecret"] = old }))
        {
            using var response = await before.AnimateAsync(body);
            challenge = MppCaller.Challenge(response);
            preimage = await before.PayAsync((await before.JsonAsync(response))["invoice"]!.GetValue<string>());
        }

        using (var dropped = new TestHost(data, settings: new() { ["SatsMotion:ServerSecret"] = current }))
        {
            using var refused = await dropped.AnimateAsync(body, MppCaller.Credential(challenge, preimage));
            Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
            Assert.Equal(ChallengeIssuer.ProblemBase + "invalid-challenge", (await dropped.JsonAsync(refused))["type"]!.GetValue<string>());
        }

        using var rotated = new TestHost(data, settings: new() { ["SatsMotion:ServerSecret"] = current, ["SatsMotion:PreviousServerSecrets:0"] = old });
        using var paid = await rotated.AnimateAsync(body, MppCaller.Credential(challenge, preimage));
        Assert.Equal(HttpStatusCode.OK, paid.StatusCode);
        Assert.Equal(challenge["id"], MppCaller.Receipt(paid)["challengeId"]!.GetValue<string>());
        Assert.Equal(1, rotated.Count("jobs"));
    }

    [Fact]
    public async Task A_Payment_redemption_is_counted_under_its_scheme()
    {
        var before = Counted(await _host.CreateClient().GetStringAsync("/metrics"));
        var body = TestHost.Body(prompt: "counted zoom");
        var (challenge, preimage, _) = await BuyAsync(body);
        using var paid = await _host.AnimateAsync(body, MppCaller.Credential(challenge, preimage));
        Assert.Equal(HttpStatusCode.OK, paid.StatusCode);
        // Other test classes may redeem at the same time: at least this one more.
        Assert.True(Counted(await _host.CreateClient().GetStringAsync("/metrics")) >= before + 1);

        static double Counted(string metrics) =>
            metrics.Split('\n').Where(l => l.StartsWith("satsmotion_redemptions_total{outcome=\"new_job\",scheme=\"mpp\"} ", StringComparison.Ordinal))
                .Select(l => double.Parse(l.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture)).SingleOrDefault();
    }

    [Fact]
    public async Task An_invoice_settled_below_the_price_is_402_payment_insufficient_with_a_fresh_challenge()
    {
        using var host = new TestHost(settings: new() { ["SatsMotion:VerifySettlement"] = "true" },
            services: services => services.AddSingleton<ILightningBackend>(sp => new ShortPayingNode(sp.GetRequiredService<DevLightningNode>())));
        var body = TestHost.Body();
        using var challengeResponse = await host.AnimateAsync(body);
        var json = await host.JsonAsync(challengeResponse);
        var challenge = MppCaller.Challenge(challengeResponse);
        var preimage = await host.PayAsync(json["invoice"]!.GetValue<string>());

        using var refused = await host.AnimateAsync(body, MppCaller.Credential(challenge, preimage));
        Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
        var problem = await host.JsonAsync(refused);
        Assert.Equal("PAYMENT_INSUFFICIENT", problem["error_code"]!.GetValue<string>());
        Assert.Equal(ChallengeIssuer.ProblemBase + "payment-insufficient", problem["type"]!.GetValue<string>());
        Assert.NotEqual(challenge["id"], MppCaller.Challenge(refused)["id"]);
        Assert.False(MppCaller.HasReceipt(refused));
        Assert.Equal(0, host.Count("jobs"));
    }

    [Theory]
    [InlineData("mpp,l402", new[] { "Payment", "L402" })]
    [InlineData("l402", new[] { "L402" })]
    [InlineData("mpp", new[] { "Payment" })]
    [InlineData(" MPP , L402 ", new[] { "Payment", "L402" })]
    public async Task The_setting_orders_the_challenges_or_offers_one(string setting, string[] schemes)
    {
        using var host = new TestHost(settings: new() { ["SatsMotion:PaymentSchemes"] = setting });
        using var response = await host.AnimateAsync(TestHost.Body());
        Assert.Equal(schemes, response.Headers.WwwAuthenticate.Select(h => h.Scheme));
        Assert.Equal(schemes.Contains("Payment") ? "application/problem+json" : "application/json", response.Content.Headers.ContentType!.MediaType);
        var body = await host.JsonAsync(response);
        Assert.Equal("PAYMENT_REQUIRED", body["error_code"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(body["macaroon"]?.GetValue<string>()));

        var manifest = await host.CreateClient().GetFromJsonAsync<JsonNode>("/.well-known/l402-services");
        Assert.Equal(schemes, manifest!["services"]![0]!["authentication"]!["schemes"]!.AsArray().Select(s => s!["scheme"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("lsat", "'lsat' is not a scheme")]
    [InlineData("l402,l402", "twice")]
    [InlineData(",", "is empty")]
    public void A_bad_setting_stops_the_start_naming_it(string setting, string problem)
    {
        var error = Assert.Throws<SettingsException>(() => Api.PaymentSchemes.Parse(setting));
        Assert.Contains("SatsMotion:PaymentSchemes", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public async Task A_Payment_credential_is_redeemed_even_when_the_402_no_longer_offers_the_scheme()
    {
        // Changing the setting must not strand a payment made under the old one.
        var body = TestHost.Body();
        var (challenge, preimage, _) = await BuyAsync(body);
        using var l402Only = new TestHost(dataDirectory: _host.DataDirectory, settings: new() { ["SatsMotion:PaymentSchemes"] = "l402" });
        using var response = await l402Only.AnimateAsync(body, MppCaller.Credential(challenge, preimage), "respond-async");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public void Dispose() => _host.Dispose();
}
