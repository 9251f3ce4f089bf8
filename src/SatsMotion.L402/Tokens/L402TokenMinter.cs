using System.Globalization;
using SatsMotion.L402.Macaroons;

namespace SatsMotion.L402.Tokens;

/// <summary>Mints a macaroon for one invoice, bound to a service, an expiry and one canonical request.</summary>
public sealed class L402TokenMinter(ServerSecrets secrets, string location = "satsmotion")
{
    public MintedToken Mint(byte[] paymentHash, string service, ReadOnlySpan<byte> requestHash, DateTimeOffset validUntil)
    {
        if (paymentHash.Length != 32)
        {
            throw new ArgumentException("payment hash must be 32 bytes", nameof(paymentHash));
        }

        var identifier = new L402Identifier(paymentHash, ServerSecrets.DeriveTokenId(secrets.Current, paymentHash));
        var rootKey = ServerSecrets.DeriveRootKey(secrets.Current, identifier.TokenId);
        var macaroon = MacaroonSignature.Mint(rootKey, identifier.Encode(), location);
        macaroon = MacaroonSignature.AddFirstPartyCaveat(macaroon, new L402Caveat(L402Caveat.Services, service + ":0").ToString());
        macaroon = MacaroonSignature.AddFirstPartyCaveat(macaroon, new L402Caveat(L402Caveat.ValidUntil(service), validUntil.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)).ToString());
        macaroon = MacaroonSignature.AddFirstPartyCaveat(macaroon, new L402Caveat(L402Caveat.RequestHash, Convert.ToHexStringLower(requestHash)).ToString());
        return new MintedToken(identifier, macaroon, MacaroonSerializer.Serialize(macaroon));
    }
}

public sealed record MintedToken(L402Identifier Identifier, Macaroon Macaroon, string MacaroonBase64);
