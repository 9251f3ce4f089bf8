using Microsoft.Extensions.Options;
using SatsMotion.Lightning.Lnurl;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Api;

/// <summary>
/// LNURL-withdraw (LUD-03) for refunds: GET /lnurlw/{k1} describes the withdrawal (exactly the price), and its
/// callback takes the wallet's invoice (?k1=&amp;pr=). Answers are LNURL's {"status": "OK"} or {"status": "ERROR", "reason"}.
/// </summary>
public static class LnurlWithdrawEndpoints
{
    public static void MapLnurlWithdraw(this IEndpointRouteBuilder app)
    {
        app.MapGet("/lnurlw/{k1}", DescribeAsync).WithName("RefundWithdrawRequest").WithSummary("LNURL-withdraw request of a refund (LUD-03)");
        app.MapGet("/lnurlw/{k1}/callback", ClaimAsync).WithName("RefundWithdrawCallback").WithSummary("LNURL-withdraw callback: ?k1=&pr=<bolt11 for exactly the amount>");
    }

    /// <summary>The LNURL of a refund, for the job's status.</summary>
    public static string Link(string baseUrl, string k1) => Lnurl.Encode(new Uri($"{baseUrl}/lnurlw/{k1}"));

    private static async Task<IResult> DescribeAsync(string k1, HttpContext context, RefundStore store, IOptions<SatsMotionOptions> options)
    {
        var refund = await store.FindByK1Async(k1, context.RequestAborted);
        if (refund is not { Status: RefundStatus.Available })
        {
            return Error(refund is null || refund.Status == RefundStatus.Withdrawn ? "no such refund" : $"this refund is {JobView.RefundState(refund.Status)}");
        }

        var baseUrl = JobView.BaseUrl(context.Request, options.Value.PublicBaseUrl);
        return Results.Json(new
        {
            tag = "withdrawRequest",
            callback = $"{baseUrl}/lnurlw/{k1}/callback",
            k1,
            defaultDescription = $"SatsMotion refund for job {refund.JobId}",
            minWithdrawable = refund.AmountMsat,
            maxWithdrawable = refund.AmountMsat,
        });
    }

    private static async Task<IResult> ClaimAsync(string k1, HttpContext context, Refunds refunds)
    {
        var query = context.Request.Query;
        if (query["k1"] != k1 || string.IsNullOrWhiteSpace(query["pr"]))
        {
            return Error("the callback needs k1 (as in its path) and pr (a bolt11 invoice)");
        }

        var problem = await refunds.ClaimAsync(k1, query["pr"].ToString(), context.RequestAborted);
        return problem is null ? Results.Json(new { status = "OK" }) : Error(problem);
    }

    private static IResult Error(string reason) => Results.Json(new { status = "ERROR", reason });
}
