using System.Security.Cryptography;
using CsCheck;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Lightning.Connection;

namespace SatsMotion.Lightning.Tests;

/// <summary>
/// Hostile input for the Lightning parsers: any text is a BOLT11 refusal with a reason (never an unhandled
/// exception), and any connection string is either accepted or one configuration error.
/// </summary>
public sealed class ParserPropertyTests
{
    private static readonly string Valid = Bolt11Codec.Encode(Bolt11Network.Regtest, 300_000, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000),
        [Bolt11TaggedField.PaymentHash(new byte[32]), Bolt11TaggedField.PaymentSecret(new byte[32]), Bolt11TaggedField.Description("x"), Bolt11TaggedField.Expiry(600)],
        RandomNumberGenerator.GetBytes(32));

    private const string Bech32Chars = "qpzry9x8gf2tvdw0s3jn54khce6mua7l1";

    // Random text, and the valid invoice with one character changed, cut short or with its prefix changed.
    private static readonly Gen<string> InvoiceText = Gen.OneOf(
        Gen.String,
        Gen.Select(Gen.OneOf("lnbc", "lnbcrt", "lntb", "lntbs", "ln", "lnbc1", "lnbcrt2500u1", "lnbc99999999999999999p1"), Gen.Char[Bech32Chars].Array[0, 400],
            (prefix, data) => prefix + new string(data)),
        Gen.Select(Gen.Int[0, Valid.Length - 1], Gen.Char[Bech32Chars + "BIO"], (at, c) => Valid[..at] + c + Valid[(at + 1)..]),
        Gen.Int[0, Valid.Length].Select(length => Valid[..length]));

    [Fact]
    public void The_bolt11_decoder_answers_every_text_with_an_invoice_or_a_reason() =>
        InvoiceText.Sample(text =>
        {
            var ok = Bolt11Codec.TryDecode(text, out var invoice, out var error);
            Assert.Equal(ok, invoice is not null && error is null);
        }, iter: 20_000);

    private static readonly Gen<string> ConnectionText = Gen.OneOf(
        Gen.String,
        Gen.Select(
            Gen.OneOf("type=lnd-rest", "type=clnrest", "type=phoenixd", "type=lnbits", "type=nwc", "type=dev", "type=", "", "TYPE=LND-REST"),
            Gen.Select(Gen.OneOf("server", "macaroon", "macaroonfilepath", "certthumbprint", "certfilepath", "allowinsecure", "rune", "password", "api-key", "uri", "network", "x"),
                Gen.OneOf("https://127.0.0.1:8080", "http://h", "ftp://h", "", "true", "maybe", "0201ab", "zz", "/nonexistent", "nostr+walletconnect://ab?relay=wss://r&secret=00", "AB:CD"),
                (key, value) => $"{key}={value}").Array[0, 6],
            (type, pairs) => string.Join(";", [type, .. pairs])));

    [Fact]
    public void A_connection_string_is_accepted_or_refused_with_one_configuration_error() =>
        ConnectionText.Sample(text =>
        {
            try
            {
                new ServiceCollection().AddLightningBackend(text);
            }
            catch (LightningConfigurationException e)
            {
                Assert.DoesNotContain('\n', e.Message);
            }
        }, iter: 5_000);
}
