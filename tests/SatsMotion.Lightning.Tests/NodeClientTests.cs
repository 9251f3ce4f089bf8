using System.Net.Sockets;
using SatsMotion.Lightning.Http;

namespace SatsMotion.Lightning.Tests;

/// <summary>How a call to a node that ends without an answer reads: a pay-out that may have left is in flight, never "unavailable".</summary>
public sealed class NodeClientTests
{
    private sealed class FailingHandler(Exception failure) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Task.FromException<HttpResponseMessage>(failure);
    }

    private static async Task<LightningFailure> FailureOfAsync(Exception failure, bool payout)
    {
        var client = new NodeClient(new HttpClient(new FailingHandler(failure)) { BaseAddress = new Uri("http://127.0.0.1:1/") }, "node");
        var request = new HttpRequestMessage(HttpMethod.Post, "pay");
        var thrown = await Assert.ThrowsAsync<LightningBackendException>(() => client.SendAsync(payout ? request.Payout() : request, CancellationToken.None));
        return thrown.Failure;
    }

    public static TheoryData<Exception> MaybeSent => new()
    {
        new TaskCanceledException("timed out"),
        new Polly.Timeout.TimeoutRejectedException("the pay-out budget ran out"),
        new IOException("connection reset"),
        new HttpRequestException(HttpRequestError.ResponseEnded, "the response ended prematurely"),
    };

    [Theory]
    [MemberData(nameof(MaybeSent))]
    public async Task A_pay_out_cut_short_is_in_flight_and_another_call_unavailable(Exception failure)
    {
        Assert.Equal(LightningFailure.PaymentInFlight, await FailureOfAsync(failure, payout: true));
        Assert.Equal(LightningFailure.Unavailable, await FailureOfAsync(failure, payout: false));
    }

    [Fact]
    public async Task A_pay_out_that_could_not_reach_the_node_is_unavailable()
    {
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "refused", new SocketException((int)SocketError.ConnectionRefused));
        Assert.Equal(LightningFailure.Unavailable, await FailureOfAsync(refused, payout: true));
        Assert.Equal(LightningFailure.Unavailable, await FailureOfAsync(new Polly.CircuitBreaker.BrokenCircuitException("open"), payout: true));
    }
}
