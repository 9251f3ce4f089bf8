using System.Text;
using System.Text.Json.Nodes;
using SatsMotion.L402.Mpp;
using SatsMotion.Testing;

namespace SatsMotion.L402.Tests;

/// <summary>
/// Aperture's published cross-implementation vectors of the Payment scheme (vectors/mpp/vectors.json):
/// canonicalization, base64url (strict rejects too), challenge headers, challenge ids, credentials and receipts.
/// challengeLists encodes Aperture's own parser policy, not the draft, and is not a requirement here.
/// </summary>
public sealed class MppVectorTests
{
    private static readonly JsonObject Vectors = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Vectors, "mpp", "vectors.json")))!.AsObject();

    private static IEnumerable<JsonObject> Section(string name) => Vectors[name]!.AsArray().Select(v => v!.AsObject());

    public static TheoryData<string> Names(string section) => [.. Section(section).Select(v => v["name"]!.GetValue<string>())];

    private static JsonObject Vector(string section, string name) => Section(section).Single(v => v["name"]!.GetValue<string>() == name);

    [Theory]
    [MemberData(nameof(Names), "canonicalization")]
    public void Canonicalizes_as_RFC_8785(string name)
    {
        var vector = Vector("canonicalization", name);
        var ok = Jcs.TryCanonicalize(vector["input"]!.GetValue<string>(), out var canonical);
        if (vector["error"]?.GetValue<bool>() == true)
        {
            Assert.False(ok);
            return;
        }

        Assert.True(ok);
        Assert.Equal(vector["canonical"]!.GetValue<string>(), canonical);
    }

    [Theory]
    [MemberData(nameof(Names), "base64url")]
    public void Reads_base64url_strictly_and_writes_it_unpadded(string name)
    {
        var vector = Vector("base64url", name);
        var encoded = vector["encoded"]!.GetValue<string>();
        var ok = Base64Url.TryDecode(encoded, out var bytes);
        if (vector["error"]?.GetValue<bool>() == true)
        {
            Assert.False(ok);
            return;
        }

        Assert.True(ok);
        Assert.Equal(vector["decodedHex"]?.GetValue<string>() ?? "", Convert.ToHexStringLower(bytes));
        if (vector["canonical"]!.GetValue<bool>())
        {
            Assert.Equal(encoded, Base64Url.Encode(bytes));
        }
    }

    private static PaymentChallenge Challenge(JsonNode p) => new(
        p["id"]!.GetValue<string>(), p["realm"]!.GetValue<string>(), p["method"]!.GetValue<string>(), p["intent"]!.GetValue<string>(), p["request"]!.GetValue<string>(),
        p["expires"]?.GetValue<string>(), p["digest"]?.GetValue<string>(), p["description"]?.GetValue<string>(), p["opaque"]?.GetValue<string>());

    [Theory]
    [MemberData(nameof(Names), "challengeHeaders")]
    public void Writes_and_reads_challenge_headers(string name)
    {
        var vector = Vector("challengeHeaders", name);
        var header = vector["header"]!.GetValue<string>();
        Assert.Equal(header, Challenge(vector["params"]!).ToHeaderValue());
        Assert.Equal(Challenge(vector["parsed"]!), Assert.Single(PaymentChallenge.ParseAll([header])));
    }

    [Theory]
    [MemberData(nameof(Names), "challengeIds")]
    public void Binds_the_seven_slots_into_the_challenge_id(string name)
    {
        var vector = Vector("challengeIds", name);
        var p = vector["params"]!;
        Assert.Equal(vector["hmacInput"]!.GetValue<string>(), PaymentChallenge.BindingInput(p["realm"]!.GetValue<string>(), p["method"]!.GetValue<string>(),
            p["intent"]!.GetValue<string>(), p["request"]!.GetValue<string>(), p["expires"]?.GetValue<string>(), p["digest"]?.GetValue<string>(), p["opaque"]?.GetValue<string>()));
        var key = Convert.FromHexString(Vectors["hmacSecretHex"]!.GetValue<string>());
        Assert.Equal(p["id"]!.GetValue<string>(), PaymentChallenge.BindingId(key, p["realm"]!.GetValue<string>(), p["method"]!.GetValue<string>(),
            p["intent"]!.GetValue<string>(), p["request"]!.GetValue<string>(), p["expires"]?.GetValue<string>(), p["digest"]?.GetValue<string>(), p["opaque"]?.GetValue<string>()));
    }

    [Fact]
    public void Draft_01s_header_parameter_is_an_eighth_slot_only_when_present()
    {
        Assert.Equal("r|lightning|charge|e30|2026-01-01T00:00:00Z||", PaymentChallenge.BindingInput("r", "lightning", "charge", "e30", "2026-01-01T00:00:00Z", null, null));
        Assert.Equal("r|lightning|charge|e30|2026-01-01T00:00:00Z|||Payment-Authorization",
            PaymentChallenge.BindingInput("r", "lightning", "charge", "e30", "2026-01-01T00:00:00Z", null, null, "Payment-Authorization"));
        var key = new byte[32];
        Assert.NotEqual(PaymentChallenge.BindingId(key, "r", "lightning", "charge", "e30", null, null, null),
            PaymentChallenge.BindingId(key, "r", "lightning", "charge", "e30", null, null, null, "Payment-Authorization"));

        var parsed = Assert.Single(PaymentChallenge.ParseAll(["Payment id=\"x\", realm=\"r\", method=\"lightning\", intent=\"charge\", request=\"e30\", header=\"Payment-Authorization\""]));
        Assert.Equal("Payment-Authorization", parsed.Header);
        Assert.True(PaymentCredential.TryParse(new PaymentCredential(parsed, new JsonObject(), null).ToHeaderValue(), out var echoed, out _));
        Assert.Equal(parsed, echoed!.Challenge);
    }

    [Theory]
    [MemberData(nameof(Names), "credentials")]
    public void Parses_credentials_and_refuses_malformed_ones(string name)
    {
        var vector = Vector("credentials", name);
        var ok = PaymentCredential.TryParse(vector["header"]!.GetValue<string>(), out var credential, out _);
        if (vector["error"]?.GetValue<bool>() == true)
        {
            Assert.False(ok);
            return;
        }

        Assert.True(ok);
        var expected = JsonNode.Parse(vector["credentialJson"]!.GetValue<string>())!;
        Assert.Equal(Challenge(expected["challenge"]!), credential!.Challenge);
        Assert.True(JsonNode.DeepEquals(expected["payload"], credential.Payload));
        Assert.Equal(expected["source"]?.GetValue<string>(), credential.Source);
    }

    [Theory]
    [MemberData(nameof(Names), "receipts")]
    public void Writes_receipts(string name)
    {
        var vector = Vector("receipts", name);
        var json = vector["receiptJson"]!.GetValue<string>();
        Assert.Equal(vector["header"]!.GetValue<string>(), Base64Url.Encode(Encoding.UTF8.GetBytes(json)));

        // The charge receipts are ours to write: the same bytes, member for member.
        var receipt = JsonNode.Parse(json)!;
        if (receipt["status"]?.GetValue<string>() == "success" && receipt["refundStatus"] is null && receipt["method"] is not null)
        {
            var ours = new PaymentReceipt(receipt["method"]!.GetValue<string>(), DateTimeOffset.Parse(receipt["timestamp"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
                receipt["reference"]!.GetValue<string>(), receipt["challengeId"]?.GetValue<string>());
            if (json.StartsWith("{\"status\"", StringComparison.Ordinal))
            {
                Assert.Equal(json, ours.ToJson());
            }
        }
    }
}
