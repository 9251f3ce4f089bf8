using System.Text;
using SatsMotion.L402.Macaroons;
using SatsMotion.Testing;

namespace SatsMotion.L402.Tests;

/// <summary>The published libmacaroons vectors (vectors/macaroons/*.vtest), v1 and v2, both outcomes.</summary>
public class MacaroonVectorTests
{
    public static TheoryData<string> VectorFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryPaths.Vectors, "macaroons"), "*.vtest").Order())
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(VectorFiles))]
    public void Vector_outcome_matches(string file)
    {
        var vector = VTest.Read(Path.Combine(RepositoryPaths.Vectors, "macaroons", file));
        Assert.NotEmpty(vector.Macaroons);
        foreach (var macaroon in vector.Macaroons)
        {
            var authorized = MacaroonSignature.HasValidSignature(macaroon, vector.Key)
                && macaroon.Caveats.All(c => vector.ExactPredicates.Contains(Encoding.UTF8.GetString(c.Identifier)));
            Assert.Equal(vector.Authorized, authorized);
        }
    }

    [Theory]
    [MemberData(nameof(VectorFiles))]
    public void V2_vectors_reencode_to_the_same_bytes(string file)
    {
        var path = Path.Combine(RepositoryPaths.Vectors, "macaroons", file);
        foreach (var raw in VTest.Read(path).RawMacaroons.Where(b => b[0] == MacaroonV2Codec.Version))
        {
            Assert.Equal(raw, MacaroonV2Codec.Encode(MacaroonV2Codec.Decode(raw)));
        }
    }

    [Fact]
    public void V1_and_v2_forms_of_the_same_macaroon_decode_alike()
    {
        var v1 = VTest.Read(Path.Combine(RepositoryPaths.Vectors, "macaroons", "caveat_v1_4.vtest")).Macaroons[0];
        var v2 = VTest.Read(Path.Combine(RepositoryPaths.Vectors, "macaroons", "caveat_v2_4.vtest")).Macaroons[0];
        Assert.Equal(v2.Location, v1.Location);
        Assert.Equal(v2.Identifier, v1.Identifier);
        Assert.Equal(v2.Signature, v1.Signature);
        Assert.Equal(v2.Caveats.Select(c => Encoding.UTF8.GetString(c.Identifier)), v1.Caveats.Select(c => Encoding.UTF8.GetString(c.Identifier)));
        Assert.Equal("http://example.org/", v1.Location);
        Assert.Equal(["account = 3735928559", "user = alice"], v1.Caveats.Select(c => Encoding.UTF8.GetString(c.Identifier)));
    }

    /// <summary>The vtest layout: version, authorized|unauthorized, key, exact predicates, base64 macaroons.</summary>
    private sealed record VTest(bool Authorized, byte[] Key, HashSet<string> ExactPredicates, List<byte[]> RawMacaroons)
    {
        // Each line is base64 of a serialized macaroon; a v1 serialization is itself base64 text.
        public List<Macaroon> Macaroons => RawMacaroons.Select(raw => raw[0] == MacaroonV2Codec.Version
            ? MacaroonV2Codec.Decode(raw)
            : MacaroonSerializer.Deserialize(Encoding.ASCII.GetString(raw))).ToList();

        public static VTest Read(string path)
        {
            bool? authorized = null;
            byte[]? key = null;
            var exact = new HashSet<string>();
            var macaroons = new List<byte[]>();
            foreach (var line in File.ReadAllLines(path).Where(l => l.Length > 0 && !l.StartsWith('#')))
            {
                if (line.StartsWith("version ", StringComparison.Ordinal))
                {
                    continue;
                }

                if (line is "authorized" or "unauthorized")
                {
                    authorized = line == "authorized";
                }
                else if (line.StartsWith("key ", StringComparison.Ordinal))
                {
                    key = Encoding.UTF8.GetBytes(line[4..]);
                }
                else if (line.StartsWith("exact ", StringComparison.Ordinal))
                {
                    exact.Add(line[6..]);
                }
                else
                {
                    Assert.True(LenientBase64.TryDecode(line, out var bytes), $"bad base64 in {path}");
                    macaroons.Add(bytes);
                }
            }

            return new VTest(authorized ?? throw new FormatException("no outcome"), key ?? throw new FormatException("no key"), exact, macaroons);
        }
    }
}
