using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SatsMotion.Server.Callbacks;
using SatsMotion.Server.Hardening;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Admin;

public sealed record ReadinessEntry(string Name, string Status, string? Description);

public sealed record ModelHealth(string Slug, bool Available, string? Reason);

/// <summary>What the health page shows: the readiness checks as /readyz runs them, and what only the console adds.</summary>
public sealed record HealthFacts(
    string LightningBackend,
    string? Network,
    LightningIncident? LastLightningError,
    IReadOnlyList<ReadinessEntry> Readiness,
    IReadOnlyList<ModelHealth> Models,
    long QueueDepth,
    IReadOnlyList<LeaseHolder> Workers,
    long WebhookBacklog);

/// <summary>What the money page shows: refunds (unknown pay-outs first), invoices settled below their price, revoked tokens.</summary>
public sealed record MoneyFacts(IReadOnlyList<RefundRow> Refunds, IReadOnlyList<UnderpaidInvoice> Underpaid, IReadOnlyList<RevokedToken> Revoked);

/// <summary>A job's page: the job, its runs, its refund and webhook deliveries, and whether its token is revoked.</summary>
public sealed record JobFacts(JobTimeline Timeline, Refund? Refund, IReadOnlyList<WebhookDelivery> Deliveries, bool TokenRevoked);

/// <summary>
/// The console's HTML: plain server-rendered pages (every value encoded), one stylesheet and one small script of
/// our own (admin.css, admin.js), so they fit the site's content security policy; the chart is inline SVG. Numbers
/// carry their raw value in data-value, for scripts and tests.
/// </summary>
public static class ConsolePages
{
    // Token ids and preimages alike.
    private const string TokenIdPattern = "[0-9a-fA-F]{64}";

    private static readonly HtmlEncoder Encoder = HtmlEncoder.Default;

    private static readonly (string Path, string Title)[] Sections =
        [("/admin", "Earnings"), ("/admin/jobs", "Jobs"), ("/admin/money", "Money"), ("/admin/health", "Health"), ("/admin/actions", "Actions")];

    /// <summary>Messages a redirect may ask a page to show, by key (never text from the query string).</summary>
    private static readonly Dictionary<string, string> Notices = new(StringComparer.Ordinal)
    {
        ["revoked"] = "The token is revoked: it redeems nothing any more.",
        ["checked"] = "The models were checked again just now.",
        ["refund-paid"] = "The claim is recorded as paid: the refund is claimed.",
        ["refund-failed"] = "The claim is released: the refund can be claimed again.",
    };

    public static string SignIn(string? problem) => Layout("Sign in", null, null, $"""
        <section class="card narrow">
        <h1>SatsMotion console</h1>
        <p>Sign in with the admin key (the file the server's start-up banner names).</p>
        {(problem is null ? "" : $"<p class=\"problem\" role=\"alert\">{E(problem)}</p>")}
        <form method="post" action="/admin/sign-in" class="stack">
        <label for="key">Admin key</label>
        <input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
        <button type="submit">Sign in</button>
        </form>
        </section>
        """);

    public static string EarningsPage(Earnings earnings, string csrf)
    {
        var f = earnings.Funnel;
        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"""
            <h1>Earnings, last {earnings.WindowDays} days</h1>
            <dl class="tiles">
            {Tile("received", "Received", earnings.ReceivedSats, "sats")}
            {Tile("refunded", "Refunded", earnings.RefundedSats, "sats")}
            {Tile("net", "Net", earnings.NetSats, "sats")}
            {Tile("paid-jobs", "Paid jobs", f.Paid, "")}
            </dl>
            <section class="card"><h2>Sats received per day (UTC)</h2>{DayChart(earnings.Days)}</section>
            <section class="card"><h2>Per model</h2>
            <div class="scroll"><table id="models"><thead><tr><th>Model</th><th class="num">Jobs</th><th class="num">Sats</th><th>Share</th></tr></thead><tbody>
            """);
        foreach (var model in earnings.Models)
        {
            var share = earnings.ReceivedSats == 0 ? 0 : (double)model.Sats / earnings.ReceivedSats;
            body.Append(CultureInfo.InvariantCulture, $"""
                <tr data-model="{E(model.Model)}"><td>{E(model.Model)}</td>{Num(model.Jobs)}{Num(model.Sats)}<td><svg class="share" viewBox="0 0 100 8" aria-hidden="true"><rect class="bar" x="0" y="0" height="8" width="{share * 100:0.#}"></rect></svg> {share:P0}</td></tr>
                """);
        }

        body.Append(CultureInfo.InvariantCulture, $"""
            </tbody></table></div>{(earnings.Models.Count == 0 ? "<p class=\"muted\">No paid jobs yet.</p>" : "")}</section>
            <section class="card"><h2>Funnel</h2>
            <ol class="funnel" id="funnel">
            <li>{Count("challenges", f.Challenges)} challenges issued</li>
            <li>{Count("paid", f.Paid)} paid (tokens redeemed)</li>
            <li>{Count("completed", f.Completed)} completed · {Count("failed", f.Failed)} failed · {Count("running", f.Queued + f.Processing)} queued or running</li>
            <li>Refunds: {Count("refunds-available", f.RefundsAvailable)} available · {Count("refunds-claiming", f.RefundsClaiming)} paying out · {Count("refunds-claimed", f.RefundsClaimed)} claimed · {Count("refunds-expired", f.RefundsExpired)} expired · {Count("refunds-withdrawn", f.RefundsWithdrawn)} withdrawn by a retry</li>
            </ol>
            <p class="muted">Challenges are counted by each API server and written every 15 s; a payment is known when its token is redeemed.</p>
            </section>
            """);
        return Layout("Earnings", "/admin", csrf, body.ToString());
    }

    public static string JobsPage(IReadOnlyList<JobRow> jobs, JobStatus? status, string csrf)
    {
        var body = new StringBuilder("<h1>Jobs</h1><form method=\"get\" action=\"/admin/jobs\" class=\"filters\"><label for=\"status\">Status</label><select id=\"status\" name=\"status\" data-autosubmit>");
        body.Append(CultureInfo.InvariantCulture, $"<option value=\"\"{(status is null ? " selected" : "")}>all</option>");
        foreach (var option in Enum.GetValues<JobStatus>())
        {
            body.Append(CultureInfo.InvariantCulture, $"<option value=\"{option}\"{(status == option ? " selected" : "")}>{option.ToString().ToLowerInvariant()}</option>");
        }

        body.Append("""
            </select><button type="submit">Show</button></form>
            <div class="scroll"><table id="jobs"><thead><tr><th>Created (UTC)</th><th>Status</th><th>Model</th><th class="num">Seconds</th><th class="num">Sats</th><th class="num">Time to finish</th><th>Reason</th></tr></thead><tbody>
            """);
        foreach (var job in jobs)
        {
            body.Append(CultureInfo.InvariantCulture, $"""
                <tr data-job="{job.Id}"><td><a href="/admin/jobs/{job.Id}">{Time(job.CreatedAt)}</a></td><td><span class="status {job.Status.ToString().ToLowerInvariant()}">{job.Status}</span></td><td>{E(job.Model)}</td>{Num(job.DurationSeconds)}{Num(job.PriceSats)}<td class="num">{Span(job.TimeToFinish)}</td><td>{E(job.ReasonCode ?? "")}</td></tr>
                """);
        }

        body.Append("</tbody></table></div>");
        body.Append(jobs.Count == 0 ? "<p class=\"muted\">No jobs.</p>" : "");
        return Layout("Jobs", "/admin/jobs", csrf, body.ToString());
    }

    public static string JobPage(JobFacts facts, string csrf, string? notice)
    {
        var (timeline, job) = (facts.Timeline, facts.Timeline.Job);
        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"""
            <h1>Job <code>{job.Id}</code></h1>
            {NoticeOf(notice)}
            <div class="columns">
            <section class="card"><h2>What was paid for</h2><dl class="facts">
            <dt>Status</dt><dd><span class="status {job.Status.ToString().ToLowerInvariant()}" id="job-status">{job.Status}</span></dd>
            <dt>Model</dt><dd>{E(job.Model)}</dd><dt>Duration</dt><dd>{job.DurationSeconds} s</dd><dt>Price</dt><dd data-value="{job.PriceSats}">{job.PriceSats:N0} sats</dd>
            <dt>Prompt</dt><dd>{E(job.Prompt)}</dd>
            <dt>Token</dt><dd><code>{job.TokenId}</code>{(facts.TokenRevoked ? " <span class=\"status failed\">revoked</span>" : "")}</dd>
            <dt>Payment hash</dt><dd><code>{job.PaymentHash}</code></dd>
            {(job.ErrorCode is null ? "" : $"<dt>Reason</dt><dd>{E(job.ErrorCode)}: {E(job.Error ?? "")}</dd>")}
            {(job.CallbackUrl is null ? "" : $"<dt>Callback</dt><dd>{E(job.CallbackUrl)}</dd>")}
            </dl></section>
            <section class="card"><h2>Timeline (UTC)</h2><ol class="timeline" id="timeline">
            <li>Created (paid) {Time(job.CreatedAt)}</li>
            {(timeline.ClaimedAt is { } claimed ? $"<li>Claimed by worker <code>{E(timeline.ClaimedBy ?? "?")}</code> {Time(claimed)}</li>" : "<li>Not claimed by a worker yet</li>")}
            <li>Attempts: <span id="attempts">{job.Attempts}</span></li>
            {(timeline.ProviderJobId is null ? "" : $"<li>Provider job id <code>{E(timeline.ProviderJobId)}</code></li>")}
            {(timeline.FinishedAt is { } finished ? $"<li>Finished {Time(finished)} ({Span(finished - job.CreatedAt)} after payment)</li>" : "")}
            </ol></section>
            </div>
            """);
        if (job.HasVideo)
        {
            body.Append(CultureInfo.InvariantCulture, $"<section class=\"card\"><h2>Video</h2><a href=\"/videos/{job.VideoName}.mp4\"><img class=\"poster\" id=\"poster\" src=\"/videos/{job.VideoName}.jpg\" alt=\"the video's poster\"></a></section>");
        }

        if (facts.Refund is { } refund)
        {
            body.Append(CultureInfo.InvariantCulture, $"<section class=\"card\"><h2>Refund</h2><p>{refund.AmountMsat / 1000:N0} sats, <span class=\"status\">{refund.Status}</span>, expires {Time(refund.ExpiresAt)}</p></section>");
        }

        if (facts.Deliveries.Count > 0)
        {
            body.Append("<section class=\"card\"><h2>Webhook deliveries</h2><div class=\"scroll\"><table><thead><tr><th>Id</th><th>Event</th><th class=\"num\">Attempts</th><th>Outcome</th></tr></thead><tbody>");
            foreach (var delivery in facts.Deliveries)
            {
                var outcome = delivery.DeliveredAt is { } at ? $"delivered {Time(at)}" : delivery.GaveUpAt is { } gave ? $"given up {Time(gave)}" : "pending";
                body.Append(CultureInfo.InvariantCulture, $"<tr><td><code>{E(delivery.Id)}</code></td><td>{E(delivery.Event)}</td>{Num(delivery.Attempts)}<td>{outcome}{(delivery.LastError is null ? "" : $" · {E(delivery.LastError)}")}</td></tr>");
            }

            body.Append("</tbody></table></div></section>");
        }

        if (!facts.TokenRevoked)
        {
            body.Append(RevokeForm(csrf, job.TokenId, $"/admin/jobs/{job.Id}"));
        }

        return Layout($"Job {job.Id}", "/admin/jobs", csrf, body.ToString());
    }

    public static string MoneyPage(MoneyFacts money, string csrf, string? notice)
    {
        var body = new StringBuilder("<h1>Money that needs a look</h1>");
        body.Append(NoticeOf(notice));
        body.Append("""
            <section class="card"><h2>Refunds</h2><p class="muted">A refund <em>paying out</em> has a pay-out whose outcome the node has not told yet; the server asks it every minute and never pays one twice. When the node cannot tell (often an NWC wallet), check the wallet and resolve the claim below.</p>
            <div class="scroll"><table id="refunds"><thead><tr><th>State</th><th>Job</th><th>Model</th><th class="num">Sats</th><th>Offered (UTC)</th><th>Claimed</th><th>Expires</th></tr></thead><tbody>
            """);
        foreach (var refund in money.Refunds)
        {
            body.Append(CultureInfo.InvariantCulture, $"""
                <tr data-refund="{refund.JobId}" data-state="{refund.Status}"><td><span class="status {(refund.Status == RefundStatus.Claiming ? "attention" : "")}">{(refund.Status == RefundStatus.Claiming ? "paying out (outcome unknown)" : refund.Status.ToString().ToLowerInvariant())}</span></td><td><a href="/admin/jobs/{refund.JobId}"><code>{refund.JobId[..8]}…</code></a></td><td>{E(refund.Model)}</td>{Num(refund.AmountSats)}<td>{Time(refund.CreatedAt)}</td><td>{(refund.ClaimedAt is { } c ? Time(c) : "")}</td><td>{Time(refund.ExpiresAt)}</td></tr>
                """);
        }

        body.Append("</tbody></table></div>").Append(money.Refunds.Count == 0 ? "<p class=\"muted\">No refunds.</p>" : "").Append("</section>");
        foreach (var claim in money.Refunds.Where(r => r.Status == RefundStatus.Claiming))
        {
            body.Append(ResolveForms(csrf, claim));
        }

        body.Append("""
            <section class="card"><h2>Invoices settled for less than their price</h2>
            <div class="scroll"><table id="underpaid"><thead><tr><th>Seen (UTC)</th><th>Payment hash</th><th>Model</th><th class="num">Price</th><th class="num">Received</th><th>Token</th></tr></thead><tbody>
            """);
        foreach (var invoice in money.Underpaid)
        {
            body.Append(CultureInfo.InvariantCulture, $"""
                <tr data-payment-hash="{invoice.PaymentHash}"><td>{Time(invoice.SeenAt)}</td><td><code>{invoice.PaymentHash[..16]}…</code></td><td>{E(invoice.Model)}</td>{Num(invoice.PriceSats)}{Num(invoice.ReceivedMsat / 1000)}<td><code>{invoice.TokenId[..16]}…</code></td></tr>
                """);
        }

        body.Append("</tbody></table></div>").Append(money.Underpaid.Count == 0 ? "<p class=\"muted\">None.</p>" : "").Append("</section>");
        body.Append("""
            <section class="card"><h2>Revoked tokens</h2>
            <div class="scroll"><table id="revoked"><thead><tr><th>Revoked (UTC)</th><th>Token</th><th>Reason</th></tr></thead><tbody>
            """);
        foreach (var token in money.Revoked)
        {
            body.Append(CultureInfo.InvariantCulture, $"<tr data-token=\"{token.TokenId}\"><td>{Time(token.RevokedAt)}</td><td><code>{token.TokenId}</code></td><td>{E(token.Reason)}</td></tr>");
        }

        body.Append("</tbody></table></div>").Append(money.Revoked.Count == 0 ? "<p class=\"muted\">None.</p>" : "").Append("</section>");
        body.Append(RevokeForm(csrf, null, "/admin/money"));
        return Layout("Money", "/admin/money", csrf, body.ToString());
    }

    public static string HealthPage(HealthFacts health, string csrf, string? notice)
    {
        var body = new StringBuilder("<h1>Health</h1>");
        body.Append(NoticeOf(notice));
        body.Append(CultureInfo.InvariantCulture, $"""
            <div class="columns">
            <section class="card"><h2>Lightning</h2><dl class="facts">
            <dt>Backend</dt><dd id="lightning-backend">{E(health.LightningBackend)}</dd>
            <dt>Network</dt><dd>{E(health.Network ?? "unknown")}</dd>
            <dt>Reachable</dt><dd id="lightning-reachable">{Readiness(health, "lightning")}</dd>
            <dt>Last error</dt><dd id="lightning-last-error">{(health.LastLightningError is { } e ? $"{Time(e.At)}: {e.Failure}: {E(e.Message)}" : "none seen by this server")}</dd>
            </dl></section>
            <section class="card"><h2>Work</h2><dl class="facts">
            <dt>Queued jobs</dt><dd data-value="{health.QueueDepth}" id="queue-depth">{health.QueueDepth:N0}</dd>
            <dt>Workers holding leases</dt><dd id="workers">{(health.Workers.Count == 0 ? "none right now" : string.Join("<br>", health.Workers.Select(w => $"<code>{E(w.Worker)}</code>: {w.Jobs} job(s), lease until {Time(w.LeaseUntil)}")))}</dd>
            <dt>Webhooks waiting</dt><dd data-value="{health.WebhookBacklog}" id="webhook-backlog">{health.WebhookBacklog:N0}</dd>
            </dl></section>
            </div>
            <section class="card"><h2>Models</h2>
            <div class="scroll"><table id="health-models"><thead><tr><th>Model</th><th>Available</th><th>Why not</th></tr></thead><tbody>
            """);
        foreach (var (slug, available, reason) in health.Models)
        {
            body.Append(CultureInfo.InvariantCulture, $"<tr data-model=\"{E(slug)}\" data-available=\"{(available ? "true" : "false")}\"><td>{E(slug)}</td><td><span class=\"status {(available ? "completed" : "failed")}\">{(available ? "yes" : "no")}</span></td><td>{E(reason ?? "")}</td></tr>");
        }

        body.Append(CultureInfo.InvariantCulture, $"""
            </tbody></table></div>
            <form method="post" action="/admin/models/check"><input type="hidden" name="csrf" value="{csrf}"><button type="submit">Re-check models now</button></form>
            </section>
            <section class="card"><h2>Readiness (as /readyz)</h2>
            <div class="scroll"><table id="readiness"><thead><tr><th>Check</th><th>Status</th><th>Detail</th></tr></thead><tbody>
            """);
        foreach (var (name, status, description) in health.Readiness)
        {
            body.Append(CultureInfo.InvariantCulture, $"<tr data-check=\"{E(name)}\"><td>{E(name)}</td><td><span class=\"status {StatusClass(status)}\">{E(status)}</span></td><td>{E(description ?? "")}</td></tr>");
        }

        body.Append("</tbody></table></div></section>");
        return Layout("Health", "/admin/health", csrf, body.ToString());
    }

    public static string ActionsPage(IReadOnlyList<AdminAction> actions, string csrf)
    {
        var body = new StringBuilder("""
            <h1>Actions</h1><p class="muted">Every change made from the console, newest first.</p>
            <div class="scroll"><table id="actions"><thead><tr><th>When (UTC)</th><th>Who</th><th>Action</th><th>On</th></tr></thead><tbody>
            """);
        foreach (var action in actions)
        {
            body.Append(CultureInfo.InvariantCulture, $"<tr><td>{Time(action.At)}</td><td>{E(action.Who)}</td><td>{E(action.Action)}</td><td><code>{E(action.Target)}</code></td></tr>");
        }

        body.Append("</tbody></table></div>").Append(actions.Count == 0 ? "<p class=\"muted\">Nothing yet.</p>" : "");
        return Layout("Actions", "/admin/actions", csrf, body.ToString());
    }

    /// <summary>The operator's two answers for a claim whose pay-out the node cannot resolve, after a look at the wallet.</summary>
    private static string ResolveForms(string csrf, RefundRow claim) => string.Create(CultureInfo.InvariantCulture, $"""
        <section class="card" data-resolve="{claim.JobId}"><h2>Resolve the claim of job <code>{claim.JobId[..8]}…</code></h2>
        <p>Find the payment of hash <code>{claim.PaymentHash}</code> in the wallet. The server keeps asking the node; answer here only when the wallet tells.</p>
        <div class="columns">
        <form method="post" action="/admin/refunds/resolve" class="stack">
        <input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="job_id" value="{claim.JobId}"><input type="hidden" name="outcome" value="paid">
        <label for="preimage-{claim.JobId}">Paid: the payment's preimage (64 hex)</label><input id="preimage-{claim.JobId}" name="preimage" pattern="{TokenIdPattern}" required autocomplete="off">
        <button type="submit">Record as paid</button>
        </form>
        <form method="post" action="/admin/refunds/resolve" class="stack" data-confirm="Release this claim? The refund can then be claimed again: only if the wallet shows no payment of this hash, neither pending nor done.">
        <input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="job_id" value="{claim.JobId}"><input type="hidden" name="outcome" value="failed">
        <p>Failed or never sent: offer the refund again. Allowed once no payment of it can settle: after the claimed invoice expired{(claim.InvoiceExpiresAt is { } at ? $" ({Time(at)} UTC)" : "")} and 14 days after the claim{(claim.ClaimedAt is { } claimed ? $" ({Time(claimed + AdminEndpoints.HtlcLockLimit)} UTC)" : "")}.</p>
        <button type="submit" class="danger">Release the claim</button>
        </form>
        </div></section>
        """);

    private static string RevokeForm(string csrf, string? tokenId, string returnTo) => $"""
        <section class="card"><h2>Revoke a token</h2>
        <form method="post" action="/admin/tokens/revoke" class="stack" data-confirm="Revoke this token? It will redeem nothing any more.">
        <input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="return" value="{E(returnTo)}">
        <label for="token_id">Token id (64 hex)</label><input id="token_id" name="token_id" pattern="{TokenIdPattern}" required value="{tokenId ?? ""}">
        <label for="reason">Reason</label><input id="reason" name="reason" maxlength="200" value="revoked from the console">
        <button type="submit" class="danger">Revoke</button>
        </form></section>
        """;

    private static string Layout(string title, string? active, string? csrf, string body)
    {
        var nav = active is null ? "" : string.Concat(Sections.Select(s => $"<a href=\"{s.Path}\"{(s.Path == active ? " aria-current=\"page\"" : "")}>{s.Title}</a>"));
        var signOut = csrf is null ? "" : $"<form method=\"post\" action=\"/admin/sign-out\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\" class=\"link\">Sign out</button></form>";
        return $"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex">
            <title>{E(title)} · SatsMotion console</title>
            <link rel="stylesheet" href="/admin.css">
            <script src="/admin.js" defer></script>
            </head>
            <body>
            <header class="top"><a class="brand" href="/admin">SatsMotion console</a><nav>{nav}</nav>{signOut}</header>
            <main>
            {body}
            </main>
            </body>
            </html>
            """;
    }

    private static string DayChart(IReadOnlyList<DayEarnings> days)
    {
        const double width = 600, height = 160, top = 10, bottom = 20;
        var max = Math.Max(1, days.Max(d => d.Sats));
        var slot = width / days.Count;
        var chart = new StringBuilder();
        chart.Append(CultureInfo.InvariantCulture,
            $"<svg class=\"chart\" id=\"day-chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Sats received per day, the highest {max:N0}\">");
        for (var i = 0; i < days.Count; i++)
        {
            var day = days[i];
            var barHeight = (height - top - bottom) * day.Sats / max;
            chart.Append(CultureInfo.InvariantCulture,
                $"<rect class=\"bar\" data-day=\"{day.Day:yyyy-MM-dd}\" data-value=\"{day.Sats}\" x=\"{i * slot + 1:0.##}\" y=\"{height - bottom - barHeight:0.##}\" width=\"{slot - 2:0.##}\" height=\"{barHeight:0.##}\"><title>{day.Day:yyyy-MM-dd}: {day.Sats:N0} sats, {day.Jobs} jobs</title></rect>");
        }

        chart.Append(CultureInfo.InvariantCulture, $"""
            <line class="axis" x1="0" y1="{height - bottom}" x2="{width}" y2="{height - bottom}"></line>
            <text class="label" x="0" y="{height - 4}">{days[0].Day:MMM d}</text>
            <text class="label" x="{width}" y="{height - 4}" text-anchor="end">{days[^1].Day:MMM d}</text>
            <text class="label" x="0" y="{top}">{max:N0} sats</text>
            </svg>
            """);
        return chart.ToString();
    }

    private static string Readiness(HealthFacts health, string check) =>
        health.Readiness.FirstOrDefault(r => r.Name == check) is { } entry ? $"{E(entry.Status)}{(entry.Description is null ? "" : $": {E(entry.Description)}")}" : "not checked";

    private static string StatusClass(string status) => status switch
    {
        "healthy" => "completed",
        "degraded" => "attention",
        _ => "failed",
    };

    public static string StatusName(HealthStatus status) => status.ToString().ToLowerInvariant();

    private static string NoticeOf(string? notice) => notice is not null && Notices.TryGetValue(notice, out var text) ? $"<p class=\"notice\" role=\"status\">{E(text)}</p>" : "";

    private static string Tile(string id, string label, long value, string unit) =>
        string.Create(CultureInfo.InvariantCulture, $"<div class=\"tile\"><dt>{label}</dt><dd id=\"{id}\" data-value=\"{value}\">{value:N0}<small> {unit}</small></dd></div>");

    private static string Count(string id, long value) => string.Create(CultureInfo.InvariantCulture, $"<strong id=\"{id}\" data-value=\"{value}\">{value:N0}</strong>");

    private static string Num(long value) => string.Create(CultureInfo.InvariantCulture, $"<td class=\"num\" data-value=\"{value}\">{value:N0}</td>");

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string Span(TimeSpan? span) => span switch
    {
        null => "",
        { TotalSeconds: < 60 } s => s.TotalSeconds.ToString("0.0 's'", CultureInfo.InvariantCulture),
        { TotalHours: < 1 } s => $"{(int)s.TotalMinutes} min {s.Seconds} s",
        var s => $"{(int)s.Value.TotalHours} h {s.Value.Minutes} min",
    };

    private static string E(string text) => Encoder.Encode(text);
}
