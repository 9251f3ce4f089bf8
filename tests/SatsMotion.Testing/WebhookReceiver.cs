using System.Collections.Concurrent;
using System.Net;

namespace SatsMotion.Testing;

/// <summary>One request a receiver got: its headers (lower-cased names), raw body and arrival time.</summary>
public sealed record ReceivedWebhook(IReadOnlyDictionary<string, string> Headers, string Body, DateTimeOffset At)
{
    public string Id => Headers["webhook-id"];
}

/// <summary>
/// A webhook receiver on loopback: records every POST and answers with what <see cref="Answer"/> says (200 unless
/// told otherwise); an answer of 0 holds the request open until <see cref="Release"/>.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private readonly Task _loop;
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public WebhookReceiver()
    {
        Address = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}/hook");
        _listener.Prefixes.Add($"http://127.0.0.1:{Address.Port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri Address { get; }

    /// <summary>The status for the n-th request (0-based); 0 holds it open.</summary>
    public Func<int, int> Answer { get; set; } = _ => 200;

    public IReadOnlyList<ReceivedWebhook> Received => [.. _received];

    /// <summary>Sent as Location with a 3xx answer (a receiver that redirects).</summary>
    public Uri? Location { get; set; }

    /// <summary>Answers every held request (with 503) and holds no more.</summary>
    public void Release() => _release.TrySetResult();

    /// <summary>Waits until at least <paramref name="count"/> requests arrived.</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (_received.Count < count)
        {
            var arrived = Volatile.Read(ref _arrived).Task;
            if (_received.Count >= count)
            {
                break;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || await Task.WhenAny(arrived, Task.Delay(left)) != arrived)
            {
                throw new TimeoutException($"{_received.Count} of {count} webhook deliveries arrived");
            }
        }

        return Received;
    }

    private async Task ServeAsync()
    {
        var n = 0;
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = HandleAsync(context, n++);
        }
    }

    private async Task HandleAsync(HttpListenerContext context, int index)
    {
        using var reader = new StreamReader(context.Request.InputStream);
        var body = await reader.ReadToEndAsync();
        var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!.ToLowerInvariant(), k => context.Request.Headers[k]!);
        _received.Enqueue(new ReceivedWebhook(headers, body, DateTimeOffset.UtcNow));
        Interlocked.Exchange(ref _arrived, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        var status = Answer(index);
        if (status == 0)
        {
            await _release.Task;
            status = 503;
        }

        try
        {
            context.Response.StatusCode = status;
            if (status is >= 300 and < 400 && Location is not null)
            {
                context.Response.RedirectLocation = Location.ToString();
            }

            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
        {
            // The sender gave up on this request already.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
