using System.Net;
using SatsMotion.Server.Callbacks;

namespace SatsMotion.Server.Tests;

/// <summary>
/// The connect-time guard of webhook deliveries, driven by a resolver stub: every refused address is refused before
/// any socket is opened, so these tests never send traffic to a private range.
/// </summary>
public sealed class CallbackGuardTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.0.9")]
    [InlineData("0.0.0.0")]
    [InlineData("10.20.30.40")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.254")]
    [InlineData("169.254.169.254")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("192.0.0.170")]
    [InlineData("198.18.0.1")]
    [InlineData("224.0.0.251")]
    [InlineData("255.255.255.255")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::127.0.0.1")]
    [InlineData("64:ff9b::a9fe:a9fe")]
    [InlineData("2002:c0a8:0101::1")]
    [InlineData("fd00:ec2::254")]
    [InlineData("fc00::1")]
    [InlineData("fe80::1")]
    [InlineData("ff02::1")]
    [InlineData("2001:db8::1")]
    public void Loopback_private_link_local_shared_multicast_reserved_and_metadata_addresses_are_refused(string address) =>
        Assert.True(CallbackAddresses.IsForbidden(IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.1")]
    [InlineData("172.32.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("2002:0808:0808::1")]
    public void Public_unicast_addresses_are_reachable(string address) =>
        Assert.False(CallbackAddresses.IsForbidden(IPAddress.Parse(address)));

    [Fact]
    public async Task A_name_with_any_public_address_connects_only_to_those_and_one_with_none_is_refused()
    {
        var mixed = new StubResolver(IPAddress.Parse("10.0.0.7"), IPAddress.Parse("93.184.216.34"));
        Assert.Equal([IPAddress.Parse("93.184.216.34")], await CallbackConnections.AllowedAddressesAsync(mixed, false, "hooks.example.com", CancellationToken.None));

        var inside = new StubResolver(IPAddress.Parse("::ffff:192.168.0.10"), IPAddress.Parse("fe80::1"));
        var refused = await Assert.ThrowsAsync<CallbackRefusedException>(() => CallbackConnections.AllowedAddressesAsync(inside, false, "hooks.example.com", CancellationToken.None));
        Assert.Contains("hooks.example.com", refused.Message);
        await Assert.ThrowsAsync<CallbackRefusedException>(() => CallbackConnections.AllowedAddressesAsync(new StubResolver(), false, "hooks.example.com", CancellationToken.None));
    }

    [Fact]
    public async Task AllowLoopback_opens_the_loopback_names_to_loopback_only_and_never_a_public_name_that_rebinds_inside()
    {
        var loopback = new StubResolver(IPAddress.Loopback, IPAddress.Parse("10.0.0.1"));
        Assert.Equal([IPAddress.Loopback], await CallbackConnections.AllowedAddressesAsync(loopback, true, "localhost", CancellationToken.None));
        await Assert.ThrowsAsync<CallbackRefusedException>(() => CallbackConnections.AllowedAddressesAsync(loopback, false, "localhost", CancellationToken.None));
        await Assert.ThrowsAsync<CallbackRefusedException>(() => CallbackConnections.AllowedAddressesAsync(new StubResolver(IPAddress.Loopback), true, "rebind.example.com", CancellationToken.None));
    }

    [Fact]
    public async Task The_client_refuses_a_rebound_name_before_opening_a_socket()
    {
        var resolver = new StubResolver(IPAddress.Parse("127.0.0.1"));
        using var client = CallbackConnections.Create(resolver, allowLoopback: false, TimeSpan.FromSeconds(2));
        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync("https://rebind.example.com/hook", new StringContent("{}")));
        Assert.IsType<CallbackRefusedException>(failure.InnerException);
        Assert.Equal(["rebind.example.com"], resolver.Asked);
    }
}
