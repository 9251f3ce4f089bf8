using System.Text;
using CsCheck;
using SatsMotion.L402.Macaroons;
using SatsMotion.L402.Tokens;

namespace SatsMotion.L402.Tests;

/// <summary>
/// Hostile input for the parsers in front of the money path: whatever bytes or text arrive, the credential parser
/// answers a failure, and the macaroon decoders throw only their own format exception, never anything unhandled.
/// </summary>
public sealed class ParserPropertyTests
{
    private static readonly byte[] Valid = MacaroonV2Codec.Encode(
        MacaroonSignature.AddFirstPartyCaveat(MacaroonSignature.Mint(new byte[32], Encoding.UTF8.GetBytes("id"), "satsmotion"), "services=animate-image:0"));

    // Text near the credential's grammar: schemes, separators, base64 and hex characters.
    private static readonly Gen<string> CredentialText = Gen.OneOf(
        Gen.String,
        Gen.Char["L402LSATlsat :=+/_-0123456789abcdefABCDEF\t\n"].Array[0, 120].Select(c => new string(c)),
        Gen.Select(Gen.OneOf("L402 ", "LSAT ", "l402  ", "Bearer ", ""), Gen.Char["AgEEbHNhdAJCAAA=+/_-:"].Array[0, 80], Gen.Char["0123456789abcdefABCDEFg"].Array[0, 70],
            (scheme, mac, pre) => $"{scheme}{new string(mac)}:{new string(pre)}"));

    [Fact]
    public void The_credential_parser_answers_every_text_without_throwing() =>
        CredentialText.Sample(text =>
        {
            var parsed = L402Credential.Parse(text);
            Assert.Equal(parsed.Success, parsed.Failure == L402Failure.None);
            L402Credential.TryReadMacaroon(text, out _);
        }, iter: 20_000);

    [Fact]
    public void A_credential_round_trips_through_its_header() =>
        Gen.Select(Gen.Char["ABCDEFabcdef0123456789+/="].Array[1, 200], Gen.Byte.Array[32]).Sample((macaroon, preimage) =>
        {
            var credential = new L402Credential(new string(macaroon), preimage);
            var parsed = L402Credential.Parse(credential.ToHeaderValue());
            Assert.True(parsed.Success);
            Assert.Equal(credential.Macaroon, parsed.Credential!.Macaroon);
            Assert.Equal(preimage, parsed.Credential.Preimage);
        });

    private static void DecodesOrRefuses(Func<byte[], Macaroon> decode, byte[] bytes)
    {
        try
        {
            decode(bytes);
        }
        catch (MacaroonFormatException)
        {
        }
    }

    // Random bytes, and a valid macaroon with bytes changed, cut short or repeated (length fields that lie).
    private static readonly Gen<byte[]> MacaroonBytes = Gen.OneOf(
        Gen.Byte.Array[0, 300],
        Gen.Select(Gen.Int[0, Valid.Length - 1], Gen.Byte, (at, value) => { var b = (byte[])Valid.Clone(); b[at] = value; return b; }),
        Gen.Int[0, Valid.Length].Select(length => Valid[..length]),
        Gen.Select(Gen.Int[0, Valid.Length - 1], Gen.Byte.Array[1, 40], (at, junk) => (byte[])[.. Valid[..at], .. junk, .. Valid[at..]]));

    [Fact]
    public void The_v2_decoder_refuses_bad_bytes_with_its_own_exception() => MacaroonBytes.Sample(bytes => DecodesOrRefuses(b => MacaroonV2Codec.Decode(b), bytes), iter: 20_000);

    [Fact]
    public void The_v1_decoder_refuses_bad_bytes_with_its_own_exception() =>
        Gen.OneOf(MacaroonBytes, Gen.Char["0123456789abcdef"].Array[4, 200].Select(c => Encoding.ASCII.GetBytes(new string(c))))
            .Sample(bytes => DecodesOrRefuses(b => MacaroonV1Codec.Decode(b), bytes), iter: 20_000);

    [Fact]
    public void The_text_deserializer_never_throws_from_try() =>
        Gen.OneOf(Gen.String, MacaroonBytes.Select(Convert.ToBase64String)).Sample(text =>
        {
            var ok = MacaroonSerializer.TryDeserialize(text, out var macaroon, out var error);
            Assert.Equal(ok, macaroon is not null && error is null);
        }, iter: 20_000);
}
