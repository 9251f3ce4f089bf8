using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Server.Api;

namespace SatsMotion.Server.Tests;

/// <summary>Only a macaroon of ours with its invoice's preimage lets a request skip the anonymous decode slots.</summary>
public sealed class PaidTokenPassTests
{
    [Fact]
    public async Task Only_an_issued_macaroon_with_its_preimage_passes()
    {
        using var host = new TestHost();
        var policy = host.Services.GetRequiredService<RedemptionPolicy>();
        var (macaroon, preimage, _) = await host.BuyAsync(TestHost.Body());
        Assert.True(policy.CarriesPaidToken(TestHost.Credential(macaroon, preimage)));
        Assert.False(policy.CarriesPaidToken(TestHost.Credential(macaroon, new string('0', 64))));
        Assert.False(policy.CarriesPaidToken("L402 garbage:" + preimage));
        Assert.False(policy.CarriesPaidToken("Bearer abc"));
        Assert.False(policy.CarriesPaidToken(""));
    }
}
