using Amazon.S3;
using Amazon.S3.Model;

namespace SatsMotion.Server.Storage.S3;

/// <summary>
/// An S3 object read as a seekable stream of known length: each read continues one ranged GET from the current
/// position; a seek drops it. ASP.NET Core's range handling (206, 416, If-Range) then works as for a file.
/// </summary>
public sealed class S3ObjectStream(IAmazonS3 client, string bucket, string key, long length) : Stream
{
    private GetObjectResponse? _response;
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= length || buffer.Length == 0)
        {
            return 0;
        }

        _response ??= await client.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, ByteRange = new ByteRange(_position, length - 1) }, cancellationToken);
        var read = await _response.ResponseStream.ReadAsync(buffer, cancellationToken);
        _position += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => length + offset,
        };
        if (target != _position)
        {
            _response?.Dispose();
            _response = null;
            _position = Math.Clamp(target, 0, length);
        }

        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _response?.Dispose();
        }

        base.Dispose(disposing);
    }
}
