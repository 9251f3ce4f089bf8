using System.Security.Cryptography;
using System.Text;
using SatsMotion.L402;
using SatsMotion.L402.Macaroons;
using SatsMotion.L402.Tokens;
using SatsMotion.Testing;

namespace SatsMotion.Interop.Tests;

/// <summary>Our macaroons checked by the npm `macaroon` package (go-macaroon compatible), and its macaroons read by us.</summary>
public class MacaroonInteropTests
{
    private static readonly byte[] Secret = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] Preimage = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] RequestHash = RequestFingerprint.Compute("motion", 5, "slow zoom in", [9, 9, 9]);

    private static MintedToken Mint() =>
        new L402TokenMinter(new ServerSecrets(Secret)).Mint(SHA256.HashData(Preimage), "animate-image", RequestHash, DateTimeOffset.UtcNow.AddDays(1));

    private static List<string> CaveatTexts(Macaroon m) => m.Caveats.Select(c => Encoding.UTF8.GetString(c.Identifier)).ToList();

    [Fact]
    public async Task Npm_macaroon_verifies_our_token_with_the_derived_root_key()
    {
        var token = Mint();
        var rootKey = ServerSecrets.DeriveRootKey(Secret, token.Identifier.TokenId);
        var result = await NodeScript.RunAsync("macaroon-check.mjs", new
        {
            action = "verify",
            macaroon = token.MacaroonBase64,
            rootKeyHex = Convert.ToHexStringLower(rootKey),
            acceptCaveats = CaveatTexts(token.Macaroon),
        });
        Assert.True(result["ok"]!.GetValue<bool>(), result["error"]?.ToString());
        Assert.Equal("satsmotion", result["location"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(token.Identifier.Encode()), result["identifierHex"]!.GetValue<string>());
        Assert.Equal(CaveatTexts(token.Macaroon), result["caveats"]!.AsArray().Select(c => c!.GetValue<string>()));
    }

    [Fact]
    public async Task Npm_macaroon_refuses_our_token_under_a_wrong_key_or_an_unmet_caveat()
    {
        var token = Mint();
        var wrongKey = await NodeScript.RunAsync("macaroon-check.mjs", new
        {
            action = "verify",
            macaroon = token.MacaroonBase64,
            rootKeyHex = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
            acceptCaveats = CaveatTexts(token.Macaroon),
        });
        Assert.False(wrongKey["ok"]!.GetValue<bool>());
        var unmet = await NodeScript.RunAsync("macaroon-check.mjs", new
        {
            action = "verify",
            macaroon = token.MacaroonBase64,
            rootKeyHex = Convert.ToHexStringLower(ServerSecrets.DeriveRootKey(Secret, token.Identifier.TokenId)),
            acceptCaveats = CaveatTexts(token.Macaroon).Skip(1).ToList(),
        });
        Assert.False(unmet["ok"]!.GetValue<bool>());
    }

    [Fact]
    public async Task We_verify_a_token_minted_by_npm_macaroon()
    {
        var identifier = new L402Identifier(SHA256.HashData(Preimage), RandomNumberGenerator.GetBytes(32));
        var caveats = new[]
        {
            "services=animate-image:0",
            $"animate-image_valid_until={DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()}",
            "request_hash=" + Convert.ToHexStringLower(RequestHash),
        };
        var result = await NodeScript.RunAsync("macaroon-check.mjs", new
        {
            action = "mint",
            identifierHex = Convert.ToHexStringLower(identifier.Encode()),
            location = "satsmotion",
            rootKeyHex = Convert.ToHexStringLower(ServerSecrets.DeriveRootKey(Secret, identifier.TokenId)),
            caveats,
        });
        var text = result["macaroon"]!.GetValue<string>();
        var decoded = MacaroonSerializer.Deserialize(text);
        Assert.Equal(caveats, CaveatTexts(decoded));
        Assert.Equal(result["signatureHex"]!.GetValue<string>(), Convert.ToHexStringLower(decoded.Signature));
        Assert.Equal(text, MacaroonSerializer.Serialize(decoded));

        var verifier = new L402TokenVerifier(new ServerSecrets(Secret), TimeProvider.System);
        var verification = verifier.Verify(new L402Credential(text, Preimage), "animate-image", RequestHash);
        Assert.True(verification.Success, verification.Reason);
        Assert.Equal(L402Failure.InvalidSignature, new L402TokenVerifier(new ServerSecrets(RandomNumberGenerator.GetBytes(32)), TimeProvider.System)
            .Verify(new L402Credential(text, Preimage), "animate-image", RequestHash).Failure);
    }
}
