using System.Globalization;
using SatsMotion.Server.Api;

namespace SatsMotion.Server.Admin;

/// <summary>Who is using the console: a browser session (its label) or a script's bearer key, and from where.</summary>
public sealed record AdminOperator(string? Session, string Address)
{
    public bool IsBrowser => Session is not null;

    public string Who => Session is null ? $"bearer key from {Address}" : $"session {AdminSessions.Label(Session)} from {Address}";
}

/// <summary>
/// The gate in front of everything under /admin but the sign-in form: a bearer key (scripts) or a live session
/// cookie (browsers), else 401 (a browser asking for a page is sent to the sign-in form instead). Wrong keys count
/// towards the address's lockout. A change made with a cookie must carry the session's anti-forgery token and come
/// from a page of this origin (Sec-Fetch-Site, Origin), so another site cannot make a signed-in browser act.
/// </summary>
public sealed class AdminAccess(AdminKey key, AdminSessions sessions, AdminSignInGuard guard) : IEndpointFilter
{
    public const string Cookie = "satsmotion_admin";
    public const string CsrfField = "csrf";
    private const string OperatorItem = "satsmotion.admin";

    public static AdminOperator OperatorOf(HttpContext context) => (AdminOperator)context.Items[OperatorItem]!;

    public static string Address(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        context.Response.Headers.CacheControl = "no-store";
        var address = Address(context);
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            if (guard.LockedFor(address) is { } wait)
            {
                return LockedOut(wait);
            }

            if (!key.Matches(authorization["Bearer ".Length..]))
            {
                guard.RecordFailure(address);
                return Unauthorized("the bearer key is not this server's admin key");
            }

            guard.RecordSuccess(address);
            context.Items[OperatorItem] = new AdminOperator(null, address);
            return await next(invocation);
        }

        var session = context.Request.Cookies[Cookie];
        if (session is null || session.Length != 64 || !await sessions.IsLiveAsync(session, context.RequestAborted))
        {
            return HttpMethods.IsGet(context.Request.Method) && AcceptsHtml(context.Request)
                ? Results.Redirect("/admin/sign-in", preserveMethod: false)
                : Unauthorized(session is null ? "sign in first, or send 'Authorization: Bearer <admin key>'" : "the session has ended: sign in again");
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && await CrossSiteAsync(context, session) is { } refusal)
        {
            return refusal;
        }

        context.Items[OperatorItem] = new AdminOperator(session, address);
        return await next(invocation);
    }

    /// <summary>Null when a cookie-borne change comes from our own page; else the refusal.</summary>
    private async Task<IResult?> CrossSiteAsync(HttpContext context, string session)
    {
        if (!IsSameOrigin(context.Request))
        {
            return Forbidden("a change must come from this console's own page");
        }

        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : null;
        var token = form?[CsrfField].ToString() ?? "";
        return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(token), System.Text.Encoding.ASCII.GetBytes(key.CsrfToken(session)))
            ? null
            : Forbidden("the form's anti-forgery token is missing or wrong: reload the page and try again");
    }

    /// <summary>Browsers say where a request comes from (Sec-Fetch-Site, Origin); either, when sent, must be this origin.</summary>
    public static bool IsSameOrigin(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && site != "same-origin")
        {
            return false;
        }

        var origin = request.Headers.Origin.ToString();
        return origin.Length == 0 || string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase);
    }

    public static bool AcceptsHtml(HttpRequest request) => request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    public static IResult LockedOut(TimeSpan wait) => new ApiError(StatusCodes.Status429TooManyRequests, "ADMIN_LOCKED_OUT", "too many wrong admin keys from this address",
        Hint: $"wait {Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s before trying again", RetryAfter: wait).ToResult();

    private static IResult Unauthorized(string reason) =>
        new ApiError(StatusCodes.Status401Unauthorized, "ADMIN_UNAUTHORIZED", reason, Hint: "the admin key is in the file the server's banner names").ToResult();

    private static IResult Forbidden(string reason) => new ApiError(StatusCodes.Status403Forbidden, "ADMIN_CROSS_SITE", reason).ToResult();
}
