using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace SatsMotion.Server.Tests;

/// <summary>Records the method and path of every request the server gets (add it as an IStartupFilter).</summary>
public sealed class RequestLog : IStartupFilter
{
    private readonly ConcurrentQueue<string> _requests = new();

    public IReadOnlyList<string> Requests => [.. _requests];

    public int Count(Func<string, bool> match) => _requests.Count(match);

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((HttpContext context, RequestDelegate following) =>
        {
            _requests.Enqueue($"{context.Request.Method} {context.Request.Path}");
            return following(context);
        });
        next(app);
    };
}
