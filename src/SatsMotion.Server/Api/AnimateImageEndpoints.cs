using Microsoft.Extensions.Options;
using SatsMotion.L402.Tokens;
using SatsMotion.Lightning;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;
using SatsMotion.Video.Models;

namespace SatsMotion.Server.Api;

/// <summary>
/// POST /api/l402/animate-image: validate, then either challenge (402) or redeem a paid token for its one job.
/// </summary>
public static class AnimateImageEndpoints
{
    public const string Path = "/api/l402/animate-image";

    public static void MapAnimateImage(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, HandleAsync).WithName("AnimateImage").WithSummary("Animate an image (L402: 402 with an invoice, then redeem with the paid token)");
        app.MapGet(Path, ServiceDescription.Describe).WithName("AnimateImageDescription").WithSummary("What this service takes, and its price rule");
    }

    private static async Task<IResult> HandleAsync(
        HttpContext context,
        ModelCatalog catalog,
        ChallengeIssuer issuer,
        L402TokenVerifier verifier,
        ILightningBackend lightning,
        JobStore store,
        JobQueue queue,
        RevocationStore revocations,
        IOptions<SatsMotionOptions> options,
        ILoggerFactory loggers)
    {
        var settings = options.Value;
        var cancellationToken = context.RequestAborted;
        var body = await RequestBody.ReadAsync(context.Request, settings.MaxRequestBytes, cancellationToken);
        if (body is null)
        {
            return new ApiError(StatusCodes.Status413PayloadTooLarge, "REQUEST_TOO_LARGE", $"request body is larger than {settings.MaxRequestBytes / (1024 * 1024)} MB",
                "body", $"send a smaller image (at most {settings.MaxImageBytes / (1024 * 1024)} MB decoded); nothing was charged").ToResult();
        }

        var (request, inputError) = AnimateRequestReader.Read(body, catalog, settings.MaxImageBytes, settings.MaxPromptLength);
        if (inputError is not null)
        {
            return inputError.ToResult();
        }

        // Every refusal of a credential, and the plain 402, carries a fresh challenge for the request that was sent.
        async Task<IResult> ChallengeAsync(ApiError error) => ChallengeIssuer.Respond(context, await issuer.IssueAsync(request!, cancellationToken), error);
        var log = loggers.CreateLogger(nameof(AnimateImageEndpoints));

        var parsed = L402Credential.Parse(context.Request.Headers.Authorization.ToString());
        if (parsed.Failure is L402Failure.MissingCredential or L402Failure.UnsupportedScheme)
        {
            return await ChallengeAsync(new ApiError(StatusCodes.Status402PaymentRequired, "PAYMENT_REQUIRED", $"payment of {request!.PriceSats} sats required",
                Hint: "pay the invoice, then send the identical request with 'Authorization: L402 <macaroon>:<preimage>'"));
        }

        var verification = parsed.Success ? verifier.Verify(parsed.Credential!, ChallengeIssuer.Service, request!.RequestHash) : null;
        var failure = verification?.Failure ?? parsed.Failure;
        if (failure != L402Failure.None)
        {
            var reason = verification?.Reason ?? parsed.Reason!;
            log.LogInformation("Refused L402 credential: {Failure} ({Reason})", failure, reason);
            return await ChallengeAsync(CredentialError(failure, reason));
        }

        var identifier = verification!.Identifier!;
        if (await revocations.IsRevokedAsync(identifier.TokenIdHex, cancellationToken))
        {
            return await ChallengeAsync(new ApiError(StatusCodes.Status401Unauthorized, "L402_TOKEN_REVOKED", "this token was revoked by the operator",
                Hint: "contact the operator of this server; a fresh challenge for this request is in WWW-Authenticate"));
        }

        if (settings.VerifySettlement ?? !lightning.IsDevelopment)
        {
            var status = await lightning.LookupInvoiceAsync(identifier.PaymentHash, cancellationToken);
            if (status.State != InvoiceState.Settled)
            {
                return new ApiError(StatusCodes.Status402PaymentRequired, "PAYMENT_NOT_SETTLED", $"the invoice for this token is {status.State.ToString().ToLowerInvariant()}, not settled",
                    Hint: "wait for your payment to complete, then send the same request again").ToResult();
            }
        }

        var (job, created) = await store.CreateOnceAsync(new NewJob(identifier.TokenIdHex, identifier.PaymentHashHex, Convert.ToHexStringLower(request!.RequestHash),
            request.Model.Descriptor.Slug, request.DurationSeconds, request.Prompt, request.PriceSats), request.Image, cancellationToken);
        if (created)
        {
            log.LogInformation("Job {JobId} paid by token {TokenId} ({Price} sats)", job.Id, identifier.TokenIdHex, job.PriceSats);
        }

        if (created || (job.Status == JobStatus.FAILED && await store.RetryFailedAsync(job.Id, cancellationToken)))
        {
            queue.Enqueue(job.Id);
        }

        var finished = queue.WhenFinished(job.Id);
        job = (await store.FindAsync(job.Id, cancellationToken))!;
        var wait = PreferHeader.Wait(context.Request, settings.DefaultWait, settings.MaxWait);
        if (!job.IsFinished && wait > TimeSpan.Zero)
        {
            await Task.WhenAny(finished, Task.Delay(wait, cancellationToken));
            job = (await store.FindAsync(job.Id, cancellationToken))!;
        }

        return JobResult(context, job, settings.PublicBaseUrl);
    }

    /// <summary>200 with the video, 202 while it is being made, 500 when it failed (the paid token can retry it).</summary>
    public static IResult JobResult(HttpContext context, Job job, string? publicBaseUrl)
    {
        var body = JobView.Describe(job, JobView.BaseUrl(context.Request, publicBaseUrl));
        switch (job.Status)
        {
            case JobStatus.COMPLETED:
                return Results.Json(body);
            case JobStatus.FAILED:
                body["error_code"] = "JOB_FAILED";
                return Results.Json(body, statusCode: StatusCodes.Status500InternalServerError);
            default:
                context.Response.Headers.Location = (string)body["poll_url"]!;
                context.Response.Headers.RetryAfter = (JobView.PollIntervalMs / 1000).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Results.Json(body, statusCode: StatusCodes.Status202Accepted);
        }
    }

    private static ApiError CredentialError(L402Failure failure, string reason)
    {
        const string fresh = "a fresh challenge for this request is in WWW-Authenticate";
        return failure switch
        {
            L402Failure.RequestMismatch => new(StatusCodes.Status402PaymentRequired, "L402_REQUEST_MISMATCH", reason,
                Hint: $"a token pays for exactly the request it was issued for: send that request again, or pay for this one ({fresh})"),
            L402Failure.MalformedCredential => new(StatusCodes.Status401Unauthorized, "L402_MALFORMED_CREDENTIAL", reason, Hint: $"use 'Authorization: L402 <macaroon>:<preimage hex>'; {fresh}"),
            L402Failure.MalformedPreimage => new(StatusCodes.Status401Unauthorized, "L402_MALFORMED_PREIMAGE", reason, Hint: $"the preimage is the 64 hex characters your wallet returned after paying; {fresh}"),
            L402Failure.MalformedMacaroon or L402Failure.InvalidIdentifier => new(StatusCodes.Status401Unauthorized, "L402_MALFORMED_MACAROON", reason, Hint: $"send the macaroon exactly as received in the challenge; {fresh}"),
            L402Failure.PreimageMismatch => new(StatusCodes.Status401Unauthorized, "L402_INVALID_PREIMAGE", reason, Hint: $"send the preimage of the invoice that came with this macaroon; {fresh}"),
            L402Failure.TokenExpired => new(StatusCodes.Status401Unauthorized, "L402_TOKEN_EXPIRED", reason, Hint: $"the token can no longer be redeemed; a job it already paid for stays at its poll_url; {fresh}"),
            _ => new(StatusCodes.Status401Unauthorized, "L402_INVALID_TOKEN", reason, Hint: $"this macaroon was not issued by this server or was altered; {fresh}"),
        };
    }
}
