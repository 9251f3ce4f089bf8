using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace SatsMotion.Server.Storage.S3;

/// <summary>
/// Blobs in an S3-compatible bucket, through the AWS SDK. Videos are served by redirect to a pre-signed address
/// (presign=true) or streamed through the server with ranges. Any failure to reach the bucket is a
/// <see cref="StorageUnavailableException"/>: the caller gets 503, a worker hands its job back.
/// </summary>
public sealed class S3BlobStore : IBlobStore, IDisposable
{
    private readonly S3StorageSettings _settings;
    private readonly AmazonS3Client _client;

    public S3BlobStore(S3StorageSettings settings)
    {
        _settings = settings;
        var config = new AmazonS3Config
        {
            ForcePathStyle = settings.PathStyle,
            Timeout = TimeSpan.FromSeconds(30),
            MaxErrorRetry = 2,

            // Checksums only where S3 requires them: S3-compatible stores (MinIO's older releases, s3rver) refuse the trailers otherwise.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (settings.Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
            config.AuthenticationRegion = settings.Region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(settings.Region);
        }

        _client = settings.AccessKey is null ? new AmazonS3Client(config) : new AmazonS3Client(new BasicAWSCredentials(settings.AccessKey, settings.SecretKey), config);
    }

    public string Description => $"S3 bucket {_settings.Bucket}{(_settings.Endpoint is { } e ? $" at {e.GetLeftPart(UriPartial.Authority)}" : $" in {_settings.Region}")}{(_settings.Presign ? ", pre-signed downloads" : "")}";

    public bool SharedByServers => true;

    public Task PutAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken) =>
        Call("store", key, async () =>
        {
            using var body = new MemoryStream(content.ToArray(), writable: false);
            await _client.PutObjectAsync(new PutObjectRequest { BucketName = _settings.Bucket, Key = key, InputStream = body, ContentType = contentType, UseChunkEncoding = false }, cancellationToken);
        });

    public Task<string> FetchAsync(string key, string scratchPath, CancellationToken cancellationToken) =>
        Call("read", key, async () =>
        {
            GetObjectResponse response;
            try
            {
                response = await _client.GetObjectAsync(_settings.Bucket, key, cancellationToken);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                throw new BlobNotFoundException(key);
            }

            using (response)
            await using (var file = File.Create(scratchPath))
            {
                await response.ResponseStream.CopyToAsync(file, cancellationToken);
            }

            return scratchPath;
        });

    public async Task PublishAsync(string key, string localPath, string contentType, CancellationToken cancellationToken)
    {
        await Call("store", key, async () =>
        {
            await using var body = File.OpenRead(localPath);
            await _client.PutObjectAsync(new PutObjectRequest { BucketName = _settings.Bucket, Key = key, InputStream = body, ContentType = contentType, UseChunkEncoding = false }, cancellationToken);
        });
        File.Delete(localPath);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        Call("delete", key, () => _client.DeleteObjectAsync(_settings.Bucket, key, cancellationToken));

    public Task<IResult?> ServeAsync(string key, string contentType, CancellationToken cancellationToken) =>
        Call("read", key, async () =>
        {
            GetObjectMetadataResponse head;
            try
            {
                head = await _client.GetObjectMetadataAsync(_settings.Bucket, key, cancellationToken);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            if (_settings.Presign)
            {
                var address = await _client.GetPreSignedURLAsync(new GetPreSignedUrlRequest
                {
                    BucketName = _settings.Bucket,
                    Key = key,
                    Verb = HttpVerb.GET,
                    Expires = DateTime.UtcNow + S3StorageSettings.PresignLifetime,
                    Protocol = _settings.Endpoint?.Scheme == "http" ? Protocol.HTTP : Protocol.HTTPS,
                });
                return Results.Redirect(address);
            }

            var stream = new S3ObjectStream(_client, _settings.Bucket, key, head.ContentLength, head.ETag);
            return (IResult?)Results.Stream(stream, contentType, lastModified: head.LastModified, enableRangeProcessing: true);
        });

    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Call("list", "", () => _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _settings.Bucket, MaxKeys = 1 }, cancellationToken));
            return null;
        }
        catch (StorageUnavailableException e)
        {
            return e.Message;
        }
    }

    public void Dispose() => _client.Dispose();

    private Task Call(string verb, string key, Func<Task> call) => Call(verb, key, async () =>
    {
        await call();
        return true;
    });

    // Every failure to reach the bucket, or its refusal, becomes one clear exception naming the bucket.
    private async Task<T> Call<T>(string verb, string key, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException or IOException
            || (e is OperationCanceledException && e.InnerException is TimeoutException))
        {
            var status = e is AmazonServiceException { StatusCode: var code } && code != 0 ? $" ({(int)code} {(e as AmazonServiceException)?.ErrorCode})" : "";
            throw new StorageUnavailableException($"the S3 bucket {_settings.Bucket} could not {verb} {(key.Length > 0 ? key : "its objects")}{status}: {e.Message}", e);
        }
    }
}
