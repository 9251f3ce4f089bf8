using SatsMotion.L402.Tokens;

namespace SatsMotion.L402.Tests;

public class L402HeaderTests
{
    private static readonly string Preimage = new('a', 64);

    [Fact]
    public void Challenge_header_has_the_exact_form()
    {
        var challenge = new L402Challenge("AgEJc2F0cw==", "lnbcrt500n1xyz");
        Assert.Equal("L402 macaroon=\"AgEJc2F0cw==\", invoice=\"lnbcrt500n1xyz\"", challenge.ToHeaderValue());
        Assert.Equal("LSAT macaroon=\"AgEJc2F0cw==\", invoice=\"lnbcrt500n1xyz\"", challenge.ToLegacyHeaderValue());
    }

    [Theory]
    [InlineData("L402 macaroon=\"m1\", invoice=\"i1\"")]
    [InlineData("LSAT macaroon=\"m1\", invoice=\"i1\"")]
    [InlineData("l402 invoice=\"i1\",macaroon=\"m1\"")]
    [InlineData("L402 macaroon=m1, invoice=i1")]
    public void Challenge_parses_in_any_common_form(string header)
    {
        Assert.True(L402Challenge.TryParse(header, out var challenge, out _));
        Assert.Equal("m1", challenge!.Macaroon);
        Assert.Equal("i1", challenge.Invoice);
    }

    [Theory]
    [InlineData("Bearer realm=\"x\"", "neither")]
    [InlineData("L402 invoice=\"i1\"", "no macaroon")]
    [InlineData("L402 macaroon=\"m1\"", "no invoice")]
    [InlineData("", "empty")]
    public void Bad_challenges_say_why(string header, string reason)
    {
        Assert.False(L402Challenge.TryParse(header, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Theory]
    [InlineData("L402")]
    [InlineData("l402")]
    [InlineData("LSAT")]
    [InlineData("lsat")]
    public void Credential_accepts_both_schemes_in_any_case(string scheme)
    {
        var result = L402Credential.Parse($"{scheme} bWFjYXJvb24=:{Preimage}");
        Assert.True(result.Success);
        Assert.Equal("bWFjYXJvb24=", result.Credential!.Macaroon);
        Assert.Equal(Convert.FromHexString(Preimage), result.Credential.Preimage);
    }

    [Fact]
    public void Credential_preimage_hex_may_be_upper_case()
    {
        var lower = L402Credential.Parse($"L402 m:{new string('b', 64)}");
        var upper = L402Credential.Parse($"L402 m:{new string('B', 64)}");
        Assert.Equal(lower.Credential!.Preimage, upper.Credential!.Preimage);
    }

    [Theory]
    [InlineData(null, L402Failure.MissingCredential)]
    [InlineData("", L402Failure.MissingCredential)]
    [InlineData("Bearer abc", L402Failure.UnsupportedScheme)]
    [InlineData("Basic dXNlcjpwYXNz", L402Failure.UnsupportedScheme)]
    [InlineData("L402", L402Failure.MalformedCredential)]
    [InlineData("L402 macaroon-without-preimage", L402Failure.MalformedCredential)]
    [InlineData("L402 :aaaa", L402Failure.MalformedCredential)]
    [InlineData("L402 m:abc", L402Failure.MalformedPreimage)]
    [InlineData("L402 m:zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", L402Failure.MalformedPreimage)]
    [InlineData("L402 m:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", L402Failure.MalformedPreimage)]
    public void Bad_credentials_get_a_precise_failure(string? header, L402Failure failure)
    {
        var result = L402Credential.Parse(header);
        Assert.False(result.Success);
        Assert.Equal(failure, result.Failure);
        Assert.False(string.IsNullOrWhiteSpace(result.Reason));
    }

    [Theory]
    [InlineData("L402 AgEJc2F0cw==", true, "AgEJc2F0cw==")]
    [InlineData("lsat AgEJc2F0cw==:" + "ab", true, "AgEJc2F0cw==")]
    [InlineData("Bearer AgEJc2F0cw==", false, "")]
    [InlineData("L402", false, "")]
    [InlineData("L402 :abc", false, "")]
    [InlineData(null, false, "")]
    public void Macaroon_alone_is_read_for_holder_only_endpoints(string? header, bool ok, string macaroon)
    {
        Assert.Equal(ok, L402Credential.TryReadMacaroon(header, out var read));
        Assert.Equal(macaroon, ok ? read : "");
    }

    [Fact]
    public void Identifier_round_trips_and_is_66_bytes_big_endian()
    {
        var identifier = new L402Identifier(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), Enumerable.Range(100, 32).Select(i => (byte)i).ToArray());
        var bytes = identifier.Encode();
        Assert.Equal(66, bytes.Length);
        Assert.Equal(0, bytes[0]);
        Assert.Equal(0, bytes[1]);
        Assert.Equal(0, bytes[2]);
        Assert.Equal(100, bytes[34]);
        Assert.True(L402Identifier.TryDecode(bytes, out var back, out _));
        Assert.Equal(identifier.PaymentHash, back!.PaymentHash);
        Assert.Equal(identifier.TokenId, back.TokenId);
    }

    [Theory]
    [InlineData(1, 66, "version 1")]
    [InlineData(256, 66, "version 256")]
    [InlineData(0, 65, "65 bytes")]
    [InlineData(0, 67, "67 bytes")]
    [InlineData(0, 1, "too short")]
    public void Identifier_rejects_other_versions_and_lengths(int version, int length, string reason)
    {
        var bytes = new byte[length];
        if (length >= 2)
        {
            bytes[0] = (byte)(version >> 8);
            bytes[1] = (byte)version;
        }

        Assert.False(L402Identifier.TryDecode(bytes, out _, out var error));
        Assert.Contains(reason, error);
    }
}
