using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SatsMotion.L402.Macaroons;
using SatsMotion.L402.Tokens;

namespace SatsMotion.Server.Tests;

/// <summary>Money path refusals: mismatch, tampering, wrong preimages, expiry. None of them makes a job.</summary>
public sealed class CredentialTests : IDisposable
{
    private readonly ManualClock _clock = new();
    private readonly TestHost _host;

    public CredentialTests() => _host = new TestHost(clock: _clock);

    private async Task<JsonNode> RefusedAsync(string body, string authorization, HttpStatusCode status, string code)
    {
        using var response = await _host.AnimateAsync(body, authorization);
        var error = await _host.JsonAsync(response);
        Assert.True(status == response.StatusCode, $"{response.StatusCode}: {error}");
        Assert.Equal(code, error["error_code"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(error["hint"]?.GetValue<string>()));

        // Every refusal carries a fresh challenge for the request that was sent (the L402 one beside the Payment one).
        var challenge = Assert.Single(response.Headers.WwwAuthenticate, h => h.Scheme == "L402").ToString();
        Assert.StartsWith("L402 macaroon=\"", challenge);
        Assert.Equal(error["macaroon"]!.GetValue<string>(), L402Challenge.TryParse(challenge, out var parsed, out _) ? parsed!.Macaroon : null);
        Assert.Equal(0, _host.Count("jobs"));
        return error;
    }

    [Fact]
    public async Task Paid_token_for_another_request_is_refused_with_a_fresh_challenge_for_this_one()
    {
        var (macaroon, preimage, _) = await _host.BuyAsync(TestHost.Body(prompt: "zoom in"));
        var other = TestHost.Body(prompt: "zoom out");
        var error = await RefusedAsync(other, TestHost.Credential(macaroon, preimage), HttpStatusCode.PaymentRequired, "L402_REQUEST_MISMATCH");
        Assert.NotEqual(macaroon, error["macaroon"]!.GetValue<string>());
        Assert.Equal(300, error["price_sats"]!.GetValue<long>());
    }

    [Theory]
    [InlineData(3, 4)]
    [InlineData(3, 15)]
    public async Task Paid_token_does_not_stretch_to_a_longer_video(int paid, int asked)
    {
        var (macaroon, preimage, _) = await _host.BuyAsync(TestHost.Body(duration: paid));
        await RefusedAsync(TestHost.Body(duration: asked), TestHost.Credential(macaroon, preimage), HttpStatusCode.PaymentRequired, "L402_REQUEST_MISMATCH");
    }

    [Fact]
    public async Task One_changed_pixel_is_another_request()
    {
        var image = (byte[])TestHost.DefaultImage.Clone();
        var (macaroon, preimage, _) = await _host.BuyAsync(TestHost.Body(image: image));
        var other = TestHost.Jpeg(641, 360);
        await RefusedAsync(TestHost.Body(image: other), TestHost.Credential(macaroon, preimage), HttpStatusCode.PaymentRequired, "L402_REQUEST_MISMATCH");
    }

    public static TheoryData<string> MacaroonParts() => ["location", "identifier", "first caveat", "last caveat", "signature"];

    [Theory]
    [MemberData(nameof(MacaroonParts))]
    public async Task Tampering_with_any_part_of_the_macaroon_is_refused(string part)
    {
        var body = TestHost.Body();
        var (macaroonText, preimage, _) = await _host.BuyAsync(body);
        var m = MacaroonSerializer.Deserialize(macaroonText);
        static byte[] Flip(byte[] bytes, int at)
        {
            var copy = (byte[])bytes.Clone();
            copy[at] ^= 0x01;
            return copy;
        }

        var tampered = part switch
        {
            "location" => m with { Location = "elsewhere" },
            "identifier" => m with { Identifier = Flip(m.Identifier, 40) },
            "first caveat" => m with { Caveats = [new MacaroonCaveat(Flip(m.Caveats[0].Identifier, 9)), .. m.Caveats.Skip(1)] },
            "last caveat" => m with { Caveats = [.. m.Caveats.SkipLast(1), new MacaroonCaveat(Flip(m.Caveats[^1].Identifier, 20))] },
            _ => m with { Signature = Flip(m.Signature, 31) },
        };
        var expected = part == "location" ? HttpStatusCode.OK : HttpStatusCode.Unauthorized;
        if (expected == HttpStatusCode.OK)
        {
            // The location is not signed (as in every macaroon library); changing it grants nothing new.
            using var response = await _host.AnimateAsync(body, TestHost.Credential(MacaroonSerializer.Serialize(tampered), preimage), "respond-async");
            Assert.True(response.IsSuccessStatusCode);
            return;
        }

        await RefusedAsync(body, TestHost.Credential(MacaroonSerializer.Serialize(tampered), preimage), HttpStatusCode.Unauthorized, "L402_INVALID_TOKEN");
    }

    [Fact]
    public async Task Dropping_a_caveat_is_refused()
    {
        var body = TestHost.Body();
        var (macaroonText, preimage, _) = await _host.BuyAsync(body);
        var m = MacaroonSerializer.Deserialize(macaroonText);
        var dropped = MacaroonSerializer.Serialize(m with { Caveats = m.Caveats.SkipLast(1).ToList() });
        await RefusedAsync(body, TestHost.Credential(dropped, preimage), HttpStatusCode.Unauthorized, "L402_INVALID_TOKEN");
    }

    [Fact]
    public async Task A_widening_caveat_added_by_the_holder_is_refused()
    {
        var body = TestHost.Body();
        var (macaroonText, preimage, _) = await _host.BuyAsync(body);
        var widened = MacaroonSignature.AddFirstPartyCaveat(MacaroonSerializer.Deserialize(macaroonText), "services=animate-image:0,everything:0");
        await RefusedAsync(body, TestHost.Credential(MacaroonSerializer.Serialize(widened), preimage), HttpStatusCode.Unauthorized, "L402_INVALID_TOKEN");
    }

    [Fact]
    public async Task Unpaid_token_with_a_guessed_preimage_is_refused()
    {
        var body = TestHost.Body();
        using var challenge = await _host.AnimateAsync(body);
        var macaroon = (await _host.JsonAsync(challenge))["macaroon"]!.GetValue<string>();
        await RefusedAsync(body, TestHost.Credential(macaroon, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))), HttpStatusCode.Unauthorized, "L402_INVALID_PREIMAGE");
    }

    [Fact]
    public async Task Preimage_of_another_paid_invoice_is_refused()
    {
        var body = TestHost.Body();
        var (macaroon, _, _) = await _host.BuyAsync(body);
        var (_, otherPreimage, _) = await _host.BuyAsync(TestHost.Body(prompt: "pan left"));
        await RefusedAsync(body, TestHost.Credential(macaroon, otherPreimage), HttpStatusCode.Unauthorized, "L402_INVALID_PREIMAGE");
    }

    [Theory]
    [InlineData("L402 {0}:abc", "L402_MALFORMED_PREIMAGE")]
    [InlineData("L402 {0}:{1}00", "L402_MALFORMED_PREIMAGE")]
    [InlineData("L402 {0}", "L402_MALFORMED_CREDENTIAL")]
    [InlineData("L402 not-a-macaroon!!:{1}", "L402_MALFORMED_MACAROON")]
    [InlineData("L402 AAAA:{1}", "L402_MALFORMED_MACAROON")]
    public async Task Malformed_credentials_are_refused_with_a_precise_code(string format, string code)
    {
        var body = TestHost.Body();
        var (macaroon, preimage, _) = await _host.BuyAsync(body);
        await RefusedAsync(body, string.Format(System.Globalization.CultureInfo.InvariantCulture, format, macaroon, preimage), HttpStatusCode.Unauthorized, code);
    }

    [Theory]
    [InlineData("LSAT")]
    [InlineData("l402")]
    public async Task Legacy_scheme_and_any_case_are_accepted(string scheme)
    {
        var body = TestHost.Body();
        var (macaroon, preimage, _) = await _host.BuyAsync(body);
        using var response = await _host.AnimateAsync(body, $"{scheme} {macaroon}:{preimage.ToUpperInvariant()}", "respond-async");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Another_authorization_scheme_just_gets_the_challenge()
    {
        using var response = await _host.AnimateAsync(TestHost.Body(), "Bearer some-api-key");
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.Equal("PAYMENT_REQUIRED", (await _host.JsonAsync(response))["error_code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Token_expires_after_its_lifetime_but_not_before()
    {
        var body = TestHost.Body();
        var (macaroon, preimage, _) = await _host.BuyAsync(body);
        _clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1));
        using (var stillValid = await _host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "respond-async"))
        {
            Assert.True(stillValid.IsSuccessStatusCode);
        }

        _clock.Advance(TimeSpan.FromMinutes(2));
        using var expired = await _host.AnimateAsync(body, TestHost.Credential(macaroon, preimage));
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Equal("L402_TOKEN_EXPIRED", (await _host.JsonAsync(expired))["error_code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Expired_invoice_cannot_be_paid()
    {
        using var response = await _host.AnimateAsync(TestHost.Body());
        var invoice = (await _host.JsonAsync(response))["invoice"]!.GetValue<string>();
        _clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        using var pay = await _host.CreateClient().PostAsJsonAsync("/api/dev/pay", new { invoice });
        Assert.Equal(HttpStatusCode.Gone, pay.StatusCode);
        Assert.Equal("INVOICE_EXPIRED", (await _host.JsonAsync(pay))["error_code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Revoked_token_is_refused_even_for_its_own_job()
    {
        var body = TestHost.Body();
        var (macaroon, preimage, _) = await _host.BuyAsync(body);
        var tokenId = Convert.ToHexStringLower(MacaroonSerializer.Deserialize(macaroon).Identifier[34..]);
        await ((SatsMotion.Server.Storage.RevocationStore)_host.Services.GetService(typeof(SatsMotion.Server.Storage.RevocationStore))!)
            .RevokeAsync(tokenId, "leaked", CancellationToken.None);
        await RefusedAsync(body, TestHost.Credential(macaroon, preimage), HttpStatusCode.Unauthorized, "L402_TOKEN_REVOKED");
    }

    [Fact]
    public async Task Token_signed_under_another_server_secret_is_refused()
    {
        var body = TestHost.Body();
        using var other = new TestHost();
        var (macaroon, preimage, _) = await other.BuyAsync(body);
        await RefusedAsync(body, TestHost.Credential(macaroon, preimage), HttpStatusCode.Unauthorized, "L402_INVALID_TOKEN");
    }

    public void Dispose() => _host.Dispose();
}
