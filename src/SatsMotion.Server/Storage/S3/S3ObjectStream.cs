using Amazon.S3;
using Amazon.S3.Model;

namespace SatsMotion.Server.Storage.S3;

/// <summary>
/// An S3 object read as a seekable stream of known length: reads continue a ranged GET from the current position;
/// a seek drops it. ASP.NET Core's range handling (206, 416, If-Range) then works as for a file. The first GET from
/// a position asks for at most <see cref="FirstPart"/> (a player's probe of a few bytes starts no whole-object
/// download), the next one for the rest; each must bring the ETag read with the length, so a video replaced
/// meanwhile fails the answer instead of mixing two files.
/// </summary>
public sealed class S3ObjectStream(IAmazonS3 client, string bucket, string key, long length, string etag) : Stream
{
    public const long FirstPart = 1024 * 1024;

    private GetObjectResponse? _response;
    private long _position;
    private long _partEnd;
    private bool _first = true;

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

        if (_response is not null && _position > _partEnd)
        {
            _response.Dispose();
            _response = null;
        }

        if (_response is null)
        {
            _partEnd = _first ? Math.Min(length, _position + FirstPart) - 1 : length - 1;
            _first = false;
            _response = await client.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, ByteRange = new ByteRange(_position, _partEnd) }, cancellationToken);
            if (_response.ETag != etag)
            {
                throw new IOException($"{key} was replaced while it was being sent");
            }
        }

        var read = await _response.ResponseStream.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _partEnd - _position + 1)], cancellationToken);
        if (read == 0)
        {
            throw new IOException($"the bucket ended {key} at {_position} of {length} bytes");
        }

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
            _first = true;
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
