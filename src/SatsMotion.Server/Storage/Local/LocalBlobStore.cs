namespace SatsMotion.Server.Storage.Local;

/// <summary>The embedded default: files under the data directory, served by the server with ranges.</summary>
public sealed class LocalBlobStore(DataDirectory data) : IBlobStore
{
    public string Description => $"folder {data.Root}";

    public bool SharedByServers => false;

    public async Task PutAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken)
    {
        // Written beside, then renamed over: a reader sees the old file or the new one, never a part.
        var partial = $"{PathOf(key)}.{Guid.NewGuid():N}.partial";
        try
        {
            await using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write))
            {
                await file.WriteAsync(content, cancellationToken);
                file.Flush(flushToDisk: true);
            }

            File.Move(partial, PathOf(key), overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    public Task<string> FetchAsync(string key, string scratchPath, CancellationToken cancellationToken) =>
        File.Exists(PathOf(key)) ? Task.FromResult(PathOf(key)) : throw new BlobNotFoundException(key);

    public Task PublishAsync(string key, string localPath, string contentType, CancellationToken cancellationToken)
    {
        File.Move(localPath, PathOf(key), overwrite: true);
        return Task.CompletedTask;
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        File.Delete(PathOf(key));
        return Task.CompletedTask;
    }

    public Task<IResult?> ServeAsync(string key, string contentType, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        return Task.FromResult(File.Exists(path) ? Results.File(path, contentType, enableRangeProcessing: true, lastModified: File.GetLastWriteTimeUtc(path)) : null);
    }

    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        var probe = Path.Combine(data.Videos, $".ready-{Guid.NewGuid():N}");
        try
        {
            await File.WriteAllBytesAsync(probe, [1], cancellationToken);
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"videos cannot be written: {e.Message}";
        }
    }

    // Keys are made by JobBlobs from random hex ids, never from a caller's text.
    private string PathOf(string key) => Path.Combine(data.Root, key);
}
