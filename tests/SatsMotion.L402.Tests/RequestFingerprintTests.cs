namespace SatsMotion.L402.Tests;

public class RequestFingerprintTests
{
    private static readonly byte[] Image = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();

    [Fact]
    public void Same_request_hashes_the_same()
    {
        Assert.Equal(RequestFingerprint.Compute("motion", 5, "zoom in", Image), RequestFingerprint.Compute("motion", 5, "zoom in", (byte[])Image.Clone()));
    }

    [Fact]
    public void Every_real_change_changes_the_hash()
    {
        var baseline = Convert.ToHexString(RequestFingerprint.Compute("motion", 5, "zoom in", Image));
        var pixel = (byte[])Image.Clone();
        pixel[500] ^= 1;
        var variants = new[]
        {
            RequestFingerprint.Compute("other", 5, "zoom in", Image),
            RequestFingerprint.Compute("motion", 6, "zoom in", Image),
            RequestFingerprint.Compute("motion", 5, "zoom out", Image),
            RequestFingerprint.Compute("motion", 5, "zoom in ", Image),
            RequestFingerprint.Compute("motion", 5, "zoom in", pixel),
        }.Select(Convert.ToHexString).ToList();
        Assert.DoesNotContain(baseline, variants);
        Assert.Equal(variants.Count, variants.Distinct().Count());
    }

    [Fact]
    public void Field_boundaries_are_unambiguous()
    {
        Assert.NotEqual(RequestFingerprint.Compute("ab", 5, "c", Image), RequestFingerprint.Compute("a", 5, "bc", Image));
    }
}
