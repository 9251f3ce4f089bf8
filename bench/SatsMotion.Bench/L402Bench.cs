using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using SatsMotion.L402;
using SatsMotion.L402.Tokens;
using SatsMotion.Lightning;
using SatsMotion.Lightning.Bolt11;

namespace SatsMotion.Bench;

/// <summary>
/// Challenge minting (macaroon + signed BOLT11 invoice) and credential verification, single-threaded,
/// so the figures are per core. Baseline: one HMAC-SHA256 of 66 bytes, the cheapest step of both.
/// </summary>
public static class L402Bench
{
    public static void Run()
    {
        var secrets = new ServerSecrets(RandomNumberGenerator.GetBytes(32));
        var minter = new L402TokenMinter(secrets);
        var verifier = new L402TokenVerifier(secrets, TimeProvider.System);
        var nodeKey = RandomNumberGenerator.GetBytes(32);
        var nodePublicKey = Secp256k1.PublicKey(nodeKey);
        var requestHash = RequestFingerprint.Compute("motion", 5, "slow zoom in", new byte[200_000]);
        var preimage = RandomNumberGenerator.GetBytes(32);
        var token = minter.Mint(SHA256.HashData(preimage), "animate-image", requestHash, DateTimeOffset.UtcNow.AddDays(7));
        var header = new L402Credential(token.MacaroonBase64, preimage).ToHeaderValue();
        var hmacKey = RandomNumberGenerator.GetBytes(32);
        var hmacData = new byte[66];

        var baseline = Measure("baseline: HMAC-SHA256 (66 B)", () => HMACSHA256.HashData(hmacKey, hmacData));
        var rows = new List<(string Name, double OpsPerSecond, double Target)>
        {
            baseline,
            Measure("secp256k1 sign (RFC 6979, low-S)", () => Secp256k1.Sign(hmacKey, nodeKey)),
            Measure("mint macaroon only", () => minter.Mint(hmacKey, "animate-image", requestHash, DateTimeOffset.UtcNow.AddDays(7))),
            Measure("mint challenge (macaroon + signed invoice)", () => MintChallenge(minter, nodeKey, nodePublicKey, requestHash), 2_000),
            Measure("verify credential (parse + verify)", () =>
            {
                var parsed = L402Credential.Parse(header);
                var result = verifier.Verify(parsed.Credential!, "animate-image", requestHash);
                if (!result.Success)
                {
                    throw new InvalidOperationException(result.Reason);
                }
            }, 100_000),
        };

        var table = new ResultTable("operation", "ops/s per core", "µs/op", "vs baseline", "target", "met");
        foreach (var (name, ops, target) in rows)
        {
            table.Add(name, ops.ToString("N0", CultureInfo.InvariantCulture), (1e6 / ops).ToString("F2", CultureInfo.InvariantCulture),
                (baseline.OpsPerSecond / ops).ToString("F1", CultureInfo.InvariantCulture) + "x slower",
                target > 0 ? target.ToString("N0", CultureInfo.InvariantCulture) : "-",
                target > 0 ? (ops >= target ? "yes" : "NO") : "-");
        }

        table.Print();
    }

    private static string MintChallenge(L402TokenMinter minter, byte[] nodeKey, byte[] nodePublicKey, byte[] requestHash)
    {
        var preimage = RandomNumberGenerator.GetBytes(32);
        var paymentHash = SHA256.HashData(preimage);
        var minted = minter.Mint(paymentHash, "animate-image", requestHash, DateTimeOffset.UtcNow.AddDays(7));
        var invoice = Bolt11Codec.Encode(Bolt11Network.Regtest, 500_000, DateTimeOffset.UtcNow,
        [
            Bolt11TaggedField.PaymentHash(paymentHash),
            Bolt11TaggedField.PaymentSecret(RandomNumberGenerator.GetBytes(32)),
            Bolt11TaggedField.Description("SatsMotion animate-image 5 s"),
            Bolt11TaggedField.Expiry(600),
            Bolt11TaggedField.Features([8, 14]),
            Bolt11TaggedField.Payee(nodePublicKey),
        ], nodeKey);
        return new L402Challenge(minted.MacaroonBase64, invoice).ToHeaderValue();
    }

    private static (string Name, double OpsPerSecond, double Target) Measure(string name, Action action, double target = 0)
    {
        for (var i = 0; i < 200; i++)
        {
            action();
        }

        // Run for about a second, best of three, to smooth out the machine's noise.
        var best = 0.0;
        for (var round = 0; round < 3; round++)
        {
            var count = 0;
            var watch = Stopwatch.StartNew();
            while (watch.ElapsedMilliseconds < 1000)
            {
                for (var i = 0; i < 50; i++)
                {
                    action();
                }

                count += 50;
            }

            best = Math.Max(best, count / watch.Elapsed.TotalSeconds);
        }

        return (name, best, target);
    }
}
