using System.Text.RegularExpressions;

namespace SatsMotion.Server.Hardening;

/// <summary>
/// Every request gets an id, returned in X-Request-Id and carried by every log line written while it is served
/// (a log scope), so a caller's report can be matched to the server's log. A sane id sent by the caller or its
/// proxy is kept; anything else is replaced.
/// </summary>
public sealed partial class RequestIds(ILogger<RequestIds> log)
{
    public const string Header = "X-Request-Id";

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var sent = context.Request.Headers[Header].ToString();
        var id = SaneId().IsMatch(sent) ? sent : Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        context.TraceIdentifier = id;
        context.Response.Headers[Header] = id;
        using (log.BeginScope(new Dictionary<string, object> { ["RequestId"] = id }))
        {
            await next(context);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex SaneId();
}
