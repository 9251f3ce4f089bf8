using System.Security.Cryptography;
using SatsMotion.L402.Macaroons;
using SatsMotion.L402.Tokens;

namespace SatsMotion.L402.Tests;

public class L402TokenTests
{
    private const string Service = "animate-image";
    private static readonly byte[] Secret = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] Preimage = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] PaymentHash = SHA256.HashData(Preimage);
    private static readonly byte[] RequestHash = RequestFingerprint.Compute("motion", 5, "zoom in", [1, 2, 3]);
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static MintedToken Mint(byte[]? secret = null, DateTimeOffset? validUntil = null) =>
        new L402TokenMinter(new ServerSecrets(secret ?? Secret)).Mint(PaymentHash, Service, RequestHash, validUntil ?? Now.AddDays(7));

    private static L402Verification Verify(string macaroon, byte[]? preimage = null, byte[]? requestHash = null, ServerSecrets? secrets = null, DateTimeOffset? now = null) =>
        new L402TokenVerifier(secrets ?? new ServerSecrets(Secret), new FixedTime(now ?? Now))
            .Verify(new L402Credential(macaroon, preimage ?? Preimage), Service, requestHash ?? RequestHash);

    private static string WithCaveat(MintedToken token, string caveat) =>
        MacaroonSerializer.Serialize(MacaroonSignature.AddFirstPartyCaveat(token.Macaroon, caveat));

    [Fact]
    public void Minted_token_verifies_and_names_its_identifier()
    {
        var token = Mint();
        var result = Verify(token.MacaroonBase64);
        Assert.True(result.Success, result.Reason);
        Assert.Equal(token.Identifier.TokenId, result.Identifier!.TokenId);
        Assert.Equal(PaymentHash, result.Identifier.PaymentHash);
    }

    [Fact]
    public void Minted_macaroon_carries_the_three_caveats()
    {
        var caveats = Mint().Macaroon.Caveats.Select(c => System.Text.Encoding.UTF8.GetString(c.Identifier)).ToList();
        Assert.Equal("services=animate-image:0", caveats[0]);
        Assert.Equal($"animate-image_valid_until={Now.AddDays(7).ToUnixTimeSeconds()}", caveats[1]);
        Assert.Equal("request_hash=" + Convert.ToHexStringLower(RequestHash), caveats[2]);
    }

    [Fact]
    public void Wrong_preimage_is_refused()
    {
        var result = Verify(Mint().MacaroonBase64, preimage: RandomNumberGenerator.GetBytes(32));
        Assert.Equal(L402Failure.PreimageMismatch, result.Failure);
    }

    [Fact]
    public void Macaroon_from_another_server_secret_is_refused()
    {
        var result = Verify(Mint(secret: RandomNumberGenerator.GetBytes(32)).MacaroonBase64);
        Assert.Equal(L402Failure.InvalidSignature, result.Failure);
    }

    [Fact]
    public void Rotated_secret_still_verifies_old_tokens_but_dropped_secret_does_not()
    {
        var old = Mint();
        var newSecret = RandomNumberGenerator.GetBytes(32);
        Assert.True(Verify(old.MacaroonBase64, secrets: new ServerSecrets(newSecret, Secret)).Success);
        Assert.Equal(L402Failure.InvalidSignature, Verify(old.MacaroonBase64, secrets: new ServerSecrets(newSecret)).Failure);
    }

    [Fact]
    public void Expired_token_is_refused()
    {
        var token = Mint(validUntil: Now.AddSeconds(10));
        Assert.True(Verify(token.MacaroonBase64, now: Now.AddSeconds(9)).Success);
        Assert.Equal(L402Failure.TokenExpired, Verify(token.MacaroonBase64, now: Now.AddSeconds(10)).Failure);
    }

    [Fact]
    public void Different_request_is_a_mismatch_that_still_names_the_token()
    {
        var token = Mint();
        var other = RequestFingerprint.Compute("motion", 6, "zoom in", [1, 2, 3]);
        var result = Verify(token.MacaroonBase64, requestHash: other);
        Assert.Equal(L402Failure.RequestMismatch, result.Failure);
        Assert.Equal(token.Identifier.TokenId, result.Identifier!.TokenId);
    }

    [Fact]
    public void Tampered_macaroon_is_refused_with_invalid_signature()
    {
        var token = Mint();
        var bytes = MacaroonV2Codec.Encode(token.Macaroon);
        foreach (var index in new[] { 20, 40, 80, bytes.Length - 40, bytes.Length - 1 })
        {
            var mutated = (byte[])bytes.Clone();
            mutated[index] ^= 0x04;
            var result = Verify(Convert.ToBase64String(mutated));
            Assert.False(result.Success);
            Assert.Contains(result.Failure, new[] { L402Failure.InvalidSignature, L402Failure.MalformedMacaroon, L402Failure.InvalidIdentifier });
        }
    }

    [Fact]
    public void Garbage_macaroon_is_malformed()
    {
        Assert.Equal(L402Failure.MalformedMacaroon, Verify("not-a-macaroon!!").Failure);
        Assert.Equal(L402Failure.MalformedMacaroon, Verify("AAAA").Failure);
    }

    [Fact]
    public void Narrowing_caveats_added_by_the_holder_are_honoured()
    {
        var token = Mint();
        var earlier = WithCaveat(token, $"animate-image_valid_until={Now.AddSeconds(5).ToUnixTimeSeconds()}");
        Assert.True(Verify(earlier).Success);
        Assert.Equal(L402Failure.TokenExpired, Verify(earlier, now: Now.AddSeconds(6)).Failure);
        Assert.True(Verify(WithCaveat(token, "services=animate-image:0")).Success);
    }

    [Fact]
    public void Widening_services_caveat_is_refused()
    {
        var result = Verify(WithCaveat(Mint(), "services=animate-image:0,other-service:0"));
        Assert.Equal(L402Failure.InvalidCaveat, result.Failure);
        Assert.Contains("widens", result.Reason);
    }

    [Fact]
    public void Extending_expiry_is_refused()
    {
        var result = Verify(WithCaveat(Mint(), $"animate-image_valid_until={Now.AddDays(30).ToUnixTimeSeconds()}"));
        Assert.Equal(L402Failure.InvalidCaveat, result.Failure);
    }

    [Fact]
    public void Token_for_another_service_is_refused()
    {
        var mintedElsewhere = new L402TokenMinter(new ServerSecrets(Secret)).Mint(PaymentHash, "other-service", RequestHash, Now.AddDays(1));
        Assert.Equal(L402Failure.WrongService, Verify(mintedElsewhere.MacaroonBase64).Failure);
    }

    [Fact]
    public void Second_request_hash_must_agree()
    {
        var result = Verify(WithCaveat(Mint(), "request_hash=" + new string('0', 64)));
        Assert.Equal(L402Failure.InvalidCaveat, result.Failure);
    }

    [Theory]
    [InlineData("unknown_condition=1")]
    [InlineData("no equals sign")]
    [InlineData("capabilities=everything")]
    public void Unknown_or_malformed_caveats_fail_closed(string caveat)
    {
        Assert.Equal(L402Failure.InvalidCaveat, Verify(WithCaveat(Mint(), caveat)).Failure);
    }

    [Fact]
    public void Client_added_preimage_caveat_must_match_the_presented_preimage()
    {
        var token = Mint();
        Assert.True(Verify(WithCaveat(token, "preimage=" + Convert.ToHexStringLower(Preimage))).Success);
        Assert.True(Verify(WithCaveat(token, "preimage=" + Convert.ToHexString(Preimage))).Success);
        Assert.Equal(L402Failure.InvalidCaveat, Verify(WithCaveat(token, "preimage=" + new string('1', 64))).Failure);
    }
}
