namespace SatsMotion.Server.Hardening;

/// <summary>
/// Headers that keep the web page and the API's answers from being framed, sniffed or leaking the page's URL, and a
/// content security policy that lets the page load only its own scripts, styles, QR images and videos (and the
/// videos' host when PublicBaseUrl puts them elsewhere).
/// </summary>
public sealed class SecurityHeaders(string? publicBaseUrl)
{
    private readonly string _policy = Policy(publicBaseUrl);

    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            // The console's forms are checked for their Origin, which a browser sends as "null" under no-referrer.
            headers["Referrer-Policy"] = context.Request.Path.StartsWithSegments("/admin") ? "same-origin" : "no-referrer";
            headers.ContentSecurityPolicy = _policy;
            return Task.CompletedTask;
        });
        return next(context);
    }

    private static string Policy(string? publicBaseUrl)
    {
        var media = Uri.TryCreate(publicBaseUrl, UriKind.Absolute, out var url) ? $"'self' {url.GetLeftPart(UriPartial.Authority)}" : "'self'";
        return $"default-src 'self'; script-src 'self'; style-src 'self'; img-src {media} data: blob:; media-src {media} blob:; connect-src 'self'; " +
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    }
}
