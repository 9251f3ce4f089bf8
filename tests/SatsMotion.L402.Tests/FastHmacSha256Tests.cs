using System.Security.Cryptography;
using SatsMotion.L402.Macaroons;

namespace SatsMotion.L402.Tests;

public class FastHmacSha256Tests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(32, 66)]
    [InlineData(64, 100)]
    [InlineData(65, 10)]
    [InlineData(23, 511)]
    [InlineData(32, 512)]
    [InlineData(32, 513)]
    [InlineData(32, 5000)]
    public void Matches_the_framework_hmac(int keyLength, int dataLength)
    {
        var key = RandomNumberGenerator.GetBytes(keyLength);
        var data = RandomNumberGenerator.GetBytes(dataLength);
        Assert.Equal(HMACSHA256.HashData(key, data), FastHmacSha256.Compute(key, data));
    }
}
