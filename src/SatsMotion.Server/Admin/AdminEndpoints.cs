using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SatsMotion.Lightning;
using SatsMotion.Server.Api;
using SatsMotion.Server.Callbacks;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Hardening;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;
using SatsMotion.Video.Models;

namespace SatsMotion.Server.Admin;

/// <summary>
/// The operator console under /admin (API servers only): earnings, jobs, money that needs a look, health and the
/// action log, as pages for a browser or as JSON for a script that asks for it (Accept: application/json); and three
/// actions: revoking a token, checking the models again, and resolving a refund claim whose pay-out outcome is unknown. Everything but the sign-in form is behind <see cref="AdminAccess"/>.
/// </summary>
public static class AdminEndpoints
{
    private const int ListLimit = 100;

    /// <summary>How long a payment can stay locked in flight: 2016 blocks, the largest CLTV expiry LND and Core Lightning accept by default.</summary>
    public static readonly TimeSpan HtlcLockLimit = TimeSpan.FromDays(14);

    public static void AddAdminConsole(this IServiceCollection services)
    {
        services.AddSingleton(sp => AdminKey.Load(sp.GetRequiredService<IOptions<SatsMotionOptions>>().Value, sp.GetRequiredService<DataDirectory>()));
        services.AddSingleton<AdminSessions>();
        services.AddSingleton<AdminSignInGuard>();
        services.AddSingleton<AdminActionLog>();
        services.AddSingleton<ConsoleQueries>();
        services.AddSingleton<AdminAccess>();
    }

    public static void MapAdminConsole(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin/sign-in", () => Html(ConsolePages.SignIn(null))).ExcludeFromDescription();
        app.MapPost("/admin/sign-in", SignInAsync).DisableAntiforgery().ExcludeFromDescription();

        var console = app.MapGroup("/admin").AddEndpointFilter<AdminAccess>().DisableAntiforgery().ExcludeFromDescription();
        console.MapGet("", EarningsAsync);
        console.MapGet("/jobs", JobsAsync);
        console.MapGet("/jobs/{jobId}", JobAsync);
        console.MapGet("/money", MoneyAsync);
        console.MapGet("/health", HealthAsync);
        console.MapGet("/actions", ActionsAsync);
        console.MapPost("/tokens/revoke", RevokeAsync);
        console.MapPost("/models/check", CheckModelsAsync);
        console.MapPost("/refunds/resolve", ResolveRefundAsync);
        console.MapPost("/sign-out", SignOutAsync);
    }

    private static async Task<IResult> SignInAsync(HttpContext context, AdminKey key, AdminSessions sessions, AdminSignInGuard guard, IOptions<SatsMotionOptions> options,
        ILogger<AdminAccess> log)
    {
        var address = AdminAccess.Address(context);
        if (guard.LockedFor(address) is { } wait)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Html(ConsolePages.SignIn($"Too many wrong keys from this address: wait {Math.Ceiling(wait.TotalSeconds)} s."), StatusCodes.Status429TooManyRequests);
        }

        // A sign-in posted by another site would sign the browser into the attacker's choice of session.
        if (!AdminAccess.IsSameOrigin(context.Request) || !context.Request.HasFormContentType)
        {
            return Html(ConsolePages.SignIn("Sign in from this page."), StatusCodes.Status403Forbidden);
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (!key.Matches(form["key"].ToString()))
        {
            guard.RecordFailure(address);
            log.LogWarning("Console sign-in with a wrong key from {Address}", address);
            return Html(ConsolePages.SignIn("That is not the admin key."), StatusCodes.Status401Unauthorized);
        }

        guard.RecordSuccess(address);
        var lifetime = options.Value.AdminSessionLifetime;
        var session = await sessions.StartAsync(lifetime, context.RequestAborted);
        context.Response.Cookies.Append(AdminAccess.Cookie, session, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/admin",
            MaxAge = lifetime,
            IsEssential = true,
        });
        log.LogInformation("Console session {Session} started from {Address}", AdminSessions.Label(session), address);
        return Results.Redirect("/admin");
    }

    private static async Task<IResult> SignOutAsync(HttpContext context, AdminSessions sessions)
    {
        var who = AdminAccess.OperatorOf(context);
        if (who.Session is { } session)
        {
            await sessions.EndAsync(session, context.RequestAborted);
            context.Response.Cookies.Delete(AdminAccess.Cookie, new CookieOptions { Path = "/admin" });
        }

        // A script's bearer key has no session to end.
        return who.IsBrowser ? Results.Redirect("/admin/sign-in") : Results.NoContent();
    }

    private static async Task<IResult> EarningsAsync(HttpContext context, ConsoleQueries queries, AdminKey key) =>
        Page(context, await queries.EarningsAsync(30, context.RequestAborted), (earnings, csrf) => ConsolePages.EarningsPage(earnings, csrf), key);

    private static async Task<IResult> JobsAsync(HttpContext context, ConsoleQueries queries, AdminKey key, string? status)
    {
        JobStatus? filter = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!Enum.TryParse<JobStatus>(status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(status, out _))
            {
                return ApiError.BadInput("status", $"status is one of {string.Join(", ", Enum.GetNames<JobStatus>())}").ToResult();
            }

            filter = parsed;
        }

        return Page(context, await queries.LatestJobsAsync(filter, ListLimit, context.RequestAborted), (jobs, csrf) => ConsolePages.JobsPage(jobs, filter, csrf), key);
    }

    private static async Task<IResult> JobAsync(string jobId, HttpContext context, JobStore store, RefundStore refunds, WebhookOutbox outbox, RevocationStore revocations,
        ConsoleQueries queries, AdminKey key, string? notice)
    {
        var job = await store.FindAsync(jobId, context.RequestAborted);
        var timeline = job is null ? null : await queries.TimelineAsync(job, context.RequestAborted);
        if (timeline is null)
        {
            return new ApiError(StatusCodes.Status404NotFound, "JOB_NOT_FOUND", "no job has this id").ToResult();
        }

        var facts = new JobFacts(timeline, await refunds.FindByJobAsync(jobId, context.RequestAborted), await outbox.ListForJobAsync(jobId, context.RequestAborted),
            await revocations.IsRevokedAsync(timeline.Job.TokenId, context.RequestAborted));
        return Page(context, facts, (job, csrf) => ConsolePages.JobPage(job, csrf, notice), key);
    }

    private static async Task<IResult> MoneyAsync(HttpContext context, ConsoleQueries queries, UnderpaidInvoiceStore underpaid, RevocationStore revocations, AdminKey key,
        string? notice)
    {
        var money = new MoneyFacts(await queries.RefundsAsync(ListLimit, context.RequestAborted), await underpaid.ListAsync(ListLimit, context.RequestAborted),
            await revocations.ListAsync(ListLimit, context.RequestAborted));
        return Page(context, money, (facts, csrf) => ConsolePages.MoneyPage(facts, csrf, notice), key);
    }

    private static async Task<IResult> HealthAsync(HttpContext context, HealthCheckService readiness, ILightningBackend lightning, LightningSelfCheck selfCheck,
        LightningIncidents incidents, ModelCatalog catalog, JobStore store, ConsoleQueries queries, WebhookOutbox outbox, AdminKey key, string? notice)
    {
        var report = await readiness.CheckHealthAsync(context.RequestAborted);
        var health = new HealthFacts(
            lightning.Name,
            // The dev node is regtest by construction; a real node said its network at the start-up check.
            selfCheck.Info is { } info ? LightningSelfCheck.Name(info.Network) : lightning.IsDevelopment ? LightningSelfCheck.Name(Lightning.Bolt11.Bolt11Network.Regtest) : null,
            incidents.Last,
            [.. report.Entries.Select(e => new ReadinessEntry(e.Key, ConsolePages.StatusName(e.Value.Status), e.Value.Description))],
            [.. catalog.All.Select(m => new ModelHealth(m.Descriptor.Slug, catalog.AvailabilityOf(m).Available, catalog.AvailabilityOf(m).Reason))],
            await store.CountQueuedAsync(context.RequestAborted),
            await queries.LeaseHoldersAsync(context.RequestAborted),
            await outbox.CountPendingAsync(context.RequestAborted));
        return Page(context, health, (facts, csrf) => ConsolePages.HealthPage(facts, csrf, notice), key);
    }

    private static async Task<IResult> ActionsAsync(HttpContext context, AdminActionLog actions, AdminKey key) =>
        Page(context, await actions.ListAsync(ListLimit, context.RequestAborted), ConsolePages.ActionsPage, key);

    private static async Task<IResult> RevokeAsync(HttpContext context, RevocationStore revocations, AdminActionLog actions)
    {
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : null;
        var tokenId = form?["token_id"].ToString().Trim() ?? "";
        if (tokenId.Length != 64 || !tokenId.All(char.IsAsciiHexDigit))
        {
            return ApiError.BadInput("token_id", "token_id is the token's id: 64 hex characters (a job's page shows it)").ToResult();
        }

        var reason = form?["reason"].ToString().Trim() is { Length: > 0 and <= 200 } given ? given : "revoked from the console";
        var who = AdminAccess.OperatorOf(context);
        await revocations.RevokeAsync(tokenId, reason, context.RequestAborted);
        await actions.RecordAsync(who.Who, "revoke-token", tokenId.ToLowerInvariant(), context.RequestAborted);
        return who.IsBrowser ? Results.Redirect($"{ReturnPath(form?["return"].ToString(), "/admin/money")}?notice=revoked") : Results.Json(new { revoked = tokenId.ToLowerInvariant() });
    }

    /// <summary>
    /// The operator's word on a claim the node cannot resolve (an NWC wallet that does not find its own payment):
    /// paid, proved by the payment's preimage, or failed, once the claimed invoice has expired so no payment of it
    /// can still start. Recorded by the reconciler's own conditional UPDATEs, so it and this cannot both act.
    /// </summary>
    private static async Task<IResult> ResolveRefundAsync(HttpContext context, RefundStore refunds, RefundReconciler reconciler, AdminActionLog actions, TimeProvider time,
        IOptions<SatsMotionOptions> options)
    {
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : null;
        var jobId = form?["job_id"].ToString().Trim() ?? "";
        var outcome = form?["outcome"].ToString().Trim() ?? "";
        var preimage = form?["preimage"].ToString().Trim() ?? "";
        if (jobId.Length == 0)
        {
            return ApiError.BadInput("job_id", "job_id is the refund's job id (the money page lists it)").ToResult();
        }

        if (outcome is not ("paid" or "failed"))
        {
            return ApiError.BadInput("outcome", "outcome is paid (with the payment's preimage) or failed (the claim is offered again; only once no payment of it can still settle)").ToResult();
        }

        if (outcome == "paid" && (preimage.Length != 64 || !preimage.All(char.IsAsciiHexDigit)))
        {
            return ApiError.BadInput("preimage", "preimage is the payment's preimage, 64 hex characters, as the wallet shows the payment").ToResult();
        }

        var claim = await refunds.FindByJobAsync(jobId, context.RequestAborted);
        if (claim is null)
        {
            return new ApiError(StatusCodes.Status404NotFound, "REFUND_NOT_FOUND", "this job has no refund").ToResult();
        }

        if (claim.Status != RefundStatus.Claiming)
        {
            return NotClaiming(claim.Status);
        }

        if (reconciler.MayStillBePaying(claim))
        {
            return new ApiError(StatusCodes.Status409Conflict, "REFUND_STILL_PAYING", "a pay-out of this claim may still be running; its own outcome is recorded when it ends",
                Hint: "look again in a few minutes").ToResult();
        }

        var invoice = Lightning.Bolt11.Bolt11Codec.Decode(claim.PaymentRequest!);
        bool decided;
        if (outcome == "paid")
        {
            // A wallet learns the preimage only by paying (the payee's node gives it in return): from its record, it proves this invoice was paid.
            if (!System.Security.Cryptography.SHA256.HashData(Convert.FromHexString(preimage)).AsSpan().SequenceEqual(invoice.PaymentHash))
            {
                return ApiError.BadInput("preimage", $"this preimage is not of the claimed invoice: its SHA-256 must be the payment hash {invoice.PaymentHashHex}").ToResult();
            }

            decided = await reconciler.RecordPaidAsync(claim, context.RequestAborted);
        }
        else
        {
            // Before its invoice expires the wallet may still start paying it; and the claimant is the payee, who can hold
            // an HTLC it accepted in time (a hold invoice) and settle it after a release: a payment can stay locked until
            // its CLTV expiry runs out, at most 2016 blocks (about 14 days) for LND's and Core Lightning's defaults.
            var releasableAt = Max(invoice.ExpiresAt, (claim.ClaimedAt ?? time.GetUtcNow()) + HtlcLockLimit);
            if (time.GetUtcNow() < releasableAt)
            {
                return new ApiError(StatusCodes.Status409Conflict, "REFUND_RELEASE_TOO_EARLY",
                    $"the claim may be released from {releasableAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC (its invoice expired and the longest time a payment can stay locked since the claim has passed), once the wallet shows no payment of {invoice.PaymentHashHex}",
                    RetryAfter: releasableAt - time.GetUtcNow()).ToResult(new Dictionary<string, object?> { ["releasable_at"] = releasableAt });
            }

            // Released this late, the offer would often have ended: the caller gets a whole offer's time to claim it again.
            decided = await reconciler.RecordFailedAsync(claim, context.RequestAborted, options.Value.RefundLifetime);
        }

        if (!decided)
        {
            // The reconciler (or another operator) decided it between our read and this change.
            return NotClaiming((await refunds.FindByJobAsync(jobId, context.RequestAborted))?.Status);
        }

        var who = AdminAccess.OperatorOf(context);
        await actions.RecordAsync(who.Who, $"resolve-refund-{outcome}", jobId, context.RequestAborted);
        var status = outcome == "paid" ? RefundStatus.Claimed : RefundStatus.Available;
        return who.IsBrowser ? Results.Redirect($"/admin/money?notice=refund-{outcome}")
            : Results.Json(new { job_id = jobId, status, payment_hash = invoice.PaymentHashHex }, ConsoleJson.Options);

        static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

        static IResult NotClaiming(RefundStatus? status) => new ApiError(StatusCodes.Status409Conflict, "REFUND_NOT_CLAIMING",
            $"this refund is {status?.ToString().ToLowerInvariant() ?? "gone"}: only a claim whose pay-out outcome is unknown (claiming) can be resolved").ToResult();
    }

    private static async Task<IResult> CheckModelsAsync(HttpContext context, ModelCatalog catalog, AdminActionLog actions)
    {
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted))
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(20));
            await catalog.CheckAvailabilityAsync(timeout.Token);
        }

        var who = AdminAccess.OperatorOf(context);
        await actions.RecordAsync(who.Who, "check-models", "all models", context.RequestAborted);
        return who.IsBrowser ? Results.Redirect("/admin/health?notice=checked")
            : Results.Json(catalog.All.Select(m => new ModelHealth(m.Descriptor.Slug, catalog.AvailabilityOf(m).Available, catalog.AvailabilityOf(m).Reason)), ConsoleJson.Options);
    }

    /// <summary>The page as HTML for a browser, or its facts as JSON for a script that asks for JSON.</summary>
    private static IResult Page<T>(HttpContext context, T facts, Func<T, string, string> render, AdminKey key)
    {
        var accept = context.Request.Headers.Accept.ToString();
        if (accept.Contains("application/json", StringComparison.OrdinalIgnoreCase) && !accept.Contains("text/html", StringComparison.OrdinalIgnoreCase))
        {
            return Results.Json(facts, ConsoleJson.Options);
        }

        var who = AdminAccess.OperatorOf(context);
        return Html(render(facts, who.Session is null ? "" : key.CsrfToken(who.Session)));
    }

    /// <summary>Only a console page may be gone back to after an action (never another site).</summary>
    private static string ReturnPath(string? requested, string fallback) =>
        requested is { Length: > 0 } path && path.StartsWith("/admin", StringComparison.Ordinal) && !path.Contains("//", StringComparison.Ordinal) && !path.Contains('\\')
            && path.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '-' or '_') ? path : fallback;

    private static IResult Html(string html, int status = StatusCodes.Status200OK) => Results.Content(html, "text/html; charset=utf-8", statusCode: status);
}
