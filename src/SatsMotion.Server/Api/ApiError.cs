namespace SatsMotion.Server.Api;

/// <summary>
/// Every error the API returns: a JSON body that names the problem (error_code), the field when there is one,
/// and what to do next (hint). A temporary refusal says when to come back (Retry-After).
/// </summary>
public sealed record ApiError(int Status, string ErrorCode, string Error, string? Field = null, string? Hint = null, TimeSpan? RetryAfter = null)
{
    public const string InvalidInput = "INVALID_INPUT";

    public static ApiError BadInput(string field, string error) =>
        new(StatusCodes.Status400BadRequest, InvalidInput, error, field, "fix the named field and send the request again; nothing was charged");

    public Dictionary<string, object?> Body(IReadOnlyDictionary<string, object?>? extra = null)
    {
        var body = new Dictionary<string, object?> { ["error"] = Error, ["error_code"] = ErrorCode };
        if (Field is not null)
        {
            body["field"] = Field;
        }

        if (Hint is not null)
        {
            body["hint"] = Hint;
        }

        foreach (var (key, value) in extra ?? new Dictionary<string, object?>())
        {
            body[key] = value;
        }

        return body;
    }

    public IResult ToResult(IReadOnlyDictionary<string, object?>? extra = null, string? contentType = null)
    {
        var json = Results.Json(Body(extra), contentType: contentType, statusCode: Status);
        return RetryAfter is null ? json : new WithRetryAfter(json, RetryAfter.Value);
    }

    private sealed record WithRetryAfter(IResult Inner, TimeSpan Delay) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(Delay.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Inner.ExecuteAsync(httpContext);
        }
    }
}
