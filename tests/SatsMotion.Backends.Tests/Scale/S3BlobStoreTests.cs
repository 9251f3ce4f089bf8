using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Server.Storage;
using SatsMotion.Server.Storage.S3;

namespace SatsMotion.Backends.Tests.Scale;

/// <summary>
/// Videos streamed from the bucket (s3rver standing in for S3) through ASP.NET Core's range handling, with an
/// object larger than the stream's first part: whole, across the part boundary, a player's two-byte probe, and a
/// video replaced between its length being read and its bytes being sent (refused, never two files mixed).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class S3BlobStoreTests(SharedStores stores) : IAsyncLifetime
{
    private readonly S3BlobStore _bucket = new(S3StorageSettings.Parse(stores.Storage()));
    private readonly string _key = $"videos/{Guid.NewGuid():N}.mp4";

    private static byte[] Content(int seed) => Enumerable.Range(0, (int)S3ObjectStream.FirstPart * 3 + 123).Select(i => (byte)((i * 31) + seed)).ToArray();

    private static async Task<(int Status, byte[] Body)> SendAsync(IResult result, string? range = null)
    {
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        context.Request.Method = "GET";
        if (range is not null)
        {
            context.Request.Headers.Range = range;
        }

        using var body = new MemoryStream();
        context.Response.Body = body;
        await result.ExecuteAsync(context);
        return (context.Response.StatusCode, body.ToArray());
    }

    private async Task<IResult> ServeAsync() => (await _bucket.ServeAsync(_key, "video/mp4", CancellationToken.None))!;

    [Fact]
    public async Task A_large_video_is_served_whole_and_by_ranges_across_the_first_part()
    {
        var content = Content(1);
        await _bucket.PutAsync(_key, content, "video/mp4", CancellationToken.None);

        async Task AssertServedAsync(int status, byte[] expected, string? range = null)
        {
            var (code, body) = await SendAsync(await ServeAsync(), range);
            Assert.Equal(status, code);
            Assert.True(expected.AsSpan().SequenceEqual(body), $"{range ?? "whole"}: {body.Length} bytes, not the {expected.Length} expected");
        }

        await AssertServedAsync(200, content);
        var from = (int)S3ObjectStream.FirstPart - 100;
        await AssertServedAsync(206, content[from..(from + 300)], $"bytes={from}-{from + 299}");
        await AssertServedAsync(206, content[..2], "bytes=0-1");
        await AssertServedAsync(206, content[^50..], "bytes=-50");
    }

    [Fact]
    public async Task A_video_replaced_while_it_is_being_served_fails_the_answer_rather_than_mixing_two_files()
    {
        await _bucket.PutAsync(_key, Content(1), "video/mp4", CancellationToken.None);
        var answer = await ServeAsync(); // its length and ETag are read here

        await _bucket.PutAsync(_key, Content(2), "video/mp4", CancellationToken.None);
        await Assert.ThrowsAnyAsync<Exception>(() => SendAsync(answer));
    }

    [Fact]
    public async Task An_input_that_is_not_in_the_bucket_is_not_found_rather_than_the_bucket_unavailable()
    {
        var scratch = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.img");
        await Assert.ThrowsAsync<BlobNotFoundException>(() => _bucket.FetchAsync(JobBlobs.Input(Guid.NewGuid().ToString("N")), scratch, CancellationToken.None));
        Assert.False(File.Exists(scratch));
        Assert.Null(await _bucket.ServeAsync(_key, "video/mp4", CancellationToken.None));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _bucket.DeleteAsync(_key, CancellationToken.None);
        _bucket.Dispose();
    }
}
