using SatsMotion.Server.Jobs;

namespace SatsMotion.Server.Storage;

/// <summary>
/// Where input images, videos and posters are kept: the data directory (one server) or an S3-compatible bucket
/// (several). Keys are relative paths such as "videos/&lt;name&gt;.mp4" (<see cref="JobBlobs"/>).
/// </summary>
public interface IBlobStore
{
    /// <summary>What the banner shows: the kind and where, never a secret.</summary>
    string Description { get; }

    /// <summary>True when servers on other machines reach the same blobs.</summary>
    bool SharedByServers { get; }

    Task PutAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken);

    /// <summary>
    /// A local file with the blob's bytes: the stored file itself when it is local, else a download to
    /// <paramref name="scratchPath"/>. <see cref="BlobNotFoundException"/> when there is no such blob.
    /// </summary>
    Task<string> FetchAsync(string key, string scratchPath, CancellationToken cancellationToken);

    /// <summary>Stores a finished local file under the key (moved into place, or uploaded).</summary>
    Task PublishAsync(string key, string localPath, string contentType, CancellationToken cancellationToken);

    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>The answer that delivers the blob over HTTP (with ranges, or a redirect), or null when there is no such blob.</summary>
    Task<IResult?> ServeAsync(string key, string contentType, CancellationToken cancellationToken);

    /// <summary>Null when blobs can be written now, else what is wrong.</summary>
    Task<string?> CheckAsync(CancellationToken cancellationToken);
}

/// <summary>The blob store cannot be reached or refused us: nothing was lost, the operation can be retried.</summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The store answers, and has no such blob: waiting will not bring it back.</summary>
public sealed class BlobNotFoundException(string key) : Exception($"there is no stored {key}");

/// <summary>The keys of a job's files.</summary>
public static class JobBlobs
{
    public static string Input(string jobId) => $"uploads/{jobId}.img";

    public static string Video(Job job) => $"videos/{job.VideoName}.mp4";

    public static string Poster(Job job) => $"videos/{job.VideoName}.jpg";
}
