using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Lightning;
using SatsMotion.Lightning.DevNode;
using SatsMotion.Server.Storage;

namespace SatsMotion.Server.Tests;

/// <summary>
/// The operator console's gate and actions, in process: nothing under /admin answers without the admin key (bearer)
/// or a live session; wrong keys lock the address out for about a minute; sessions end; a change from another site
/// is refused; every action is logged with who did it; and the numbers it shows are the store's.
/// </summary>
public sealed class AdminConsoleTests : IDisposable
{
    private readonly ManualClock _clock = new();
    private readonly TestHost _host;

    public AdminConsoleTests()
    {
        _host = new TestHost(clock: _clock);
        _ = _host.Server; // starts it, which creates the admin key
    }

    public void Dispose() => _host.Dispose();

    private string Key => File.ReadAllText(Path.Combine(_host.DataDirectory, "admin.key")).Trim();

    private HttpClient Browser() => _host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    private HttpClient Script(string? key = null)
    {
        var client = _host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        client.DefaultRequestHeaders.Authorization = new("Bearer", key ?? Key);
        client.DefaultRequestHeaders.Accept.ParseAdd("application/json");
        return client;
    }

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient browser, string key)
    {
        using var form = new FormUrlEncodedContent([new("key", key)]);
        return await browser.PostAsync("/admin/sign-in", form);
    }

    /// <summary>Signs in and returns the browser with its cookie and the page's anti-forgery token.</summary>
    private async Task<(HttpClient Browser, string Csrf)> SignedInAsync()
    {
        var browser = Browser();
        using var signIn = await SignInAsync(browser, Key);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var page = await browser.GetStringAsync("/admin/money");
        var csrf = System.Text.RegularExpressions.Regex.Match(page, "name=\"csrf\" value=\"([0-9a-f]{64})\"").Groups[1].Value;
        Assert.NotEmpty(csrf);
        return (browser, csrf);
    }

    private async Task<string> PaidTokenIdAsync(string prompt = "slow zoom in")
    {
        var body = TestHost.Body(prompt);
        var (macaroon, preimage, _) = await _host.BuyAsync(body);
        using var paid = await _host.AnimateAsync(body, TestHost.Credential(macaroon, preimage), "respond-async");
        Assert.True(paid.IsSuccessStatusCode, await paid.Content.ReadAsStringAsync());
        var jobId = (await _host.JsonAsync(paid))["jobId"]!.GetValue<string>();
        using var connection = _host.Services.GetRequiredService<Database>().Open();
        using var command = connection.Sql("SELECT token_id FROM jobs WHERE id = @id", ("@id", jobId));
        return (string)command.ExecuteScalar()!;
    }

    private static FormUrlEncodedContent Revoke(string csrf, string tokenId) => new([new("csrf", csrf), new("token_id", tokenId), new("reason", "leaked"), new("return", "/admin/money")]);

    private bool IsRevoked(string tokenId) => _host.Services.GetRequiredService<RevocationStore>().IsRevokedAsync(tokenId, CancellationToken.None).GetAwaiter().GetResult();

    [Fact]
    public async Task Nothing_under_admin_answers_without_a_credential()
    {
        var routes = _host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Path: e.RoutePattern.RawText!, Methods: e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]))
            .Where(r => r.Path.StartsWith("/admin", StringComparison.Ordinal) && r.Path != "/admin/sign-in")
            .ToList();
        Assert.True(routes.Count >= 9, string.Join(", ", routes.Select(r => r.Path)));
        var anonymous = Browser();
        var wrong = Script("not-the-admin-key-at-all-0000000000");
        foreach (var (path, methods) in routes)
        {
            foreach (var method in methods)
            {
                var url = path.Replace("{jobId}", "0123456789abcdef0123456789abcdef", StringComparison.Ordinal);
                using var bare = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), url));
                Assert.True(bare.StatusCode == HttpStatusCode.Unauthorized, $"{method} {url} answered {bare.StatusCode} without a credential");
                Assert.Equal("ADMIN_UNAUTHORIZED", (await bare.Content.ReadFromJsonAsync<JsonNode>())!["error_code"]!.GetValue<string>());

                using var html = new HttpRequestMessage(new HttpMethod(method), url);
                html.Headers.Accept.ParseAdd("text/html");
                using var page = await anonymous.SendAsync(html);
                Assert.True(page.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Redirect, $"{method} {url} answered {page.StatusCode} to a browser without a session");
                if (page.StatusCode == HttpStatusCode.Redirect)
                {
                    Assert.Equal("/admin/sign-in", page.Headers.Location!.OriginalString);
                }

                using var forged = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), url) { Headers = { { "Cookie", $"satsmotion_admin={new string('a', 64)}" } } });
                Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
            }
        }

        // A wrong bearer key too (a few, under the lockout's count).
        using var withWrongKey = await wrong.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.Unauthorized, withWrongKey.StatusCode);
    }

    [Fact]
    public async Task The_right_key_opens_every_page_by_bearer_and_by_session()
    {
        var tokenId = await PaidTokenIdAsync();
        var script = Script();
        foreach (var path in new[] { "/admin", "/admin/jobs", "/admin/money", "/admin/health", "/admin/actions" })
        {
            using var response = await script.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
            Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
            Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
        }

        var (browser, _) = await SignedInAsync();
        var jobs = await browser.GetStringAsync("/admin/jobs");
        Assert.Contains("<table id=\"jobs\">", jobs);
        var jobId = System.Text.RegularExpressions.Regex.Match(jobs, "data-job=\"([0-9a-f]{32})\"").Groups[1].Value;
        var job = await browser.GetStringAsync($"/admin/jobs/{jobId}");
        Assert.Contains(tokenId, job);
    }

    [Fact]
    public async Task Wrong_keys_by_form_and_bearer_alike_lock_the_address_out_for_a_minute()
    {
        var browser = Browser();
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await SignInAsync(browser, $"wrong-key-number-{i}-padding-padding");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        var wrongScript = Script("another-wrong-key-padding-padding-pad");
        for (var i = 0; i < 2; i++)
        {
            using var wrong = await wrongScript.GetAsync("/admin");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        // Five wrong keys: now even the right one is refused, by either door, until the lockout ends.
        using (var locked = await Script().GetAsync("/admin"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
            Assert.Equal("ADMIN_LOCKED_OUT", (await locked.Content.ReadFromJsonAsync<JsonNode>())!["error_code"]!.GetValue<string>());
            Assert.InRange(locked.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 50, 60);
        }

        using (var lockedForm = await SignInAsync(Browser(), Key))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, lockedForm.StatusCode);
            Assert.DoesNotContain("Set-Cookie", lockedForm.Headers.Select(h => h.Key));
        }

        _clock.Advance(TimeSpan.FromSeconds(61));
        using var open = await Script().GetAsync("/admin");
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
    }

    [Fact]
    public async Task A_session_ends_after_its_lifetime_and_at_sign_out()
    {
        var (browser, csrf) = await SignedInAsync();
        using (var page = await browser.GetAsync("/admin/health"))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        _clock.Advance(TimeSpan.FromHours(12) + TimeSpan.FromSeconds(1));
        using (var expired = await browser.GetAsync("/admin/health"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
            Assert.Contains("session has ended", await expired.Content.ReadAsStringAsync());
        }

        (browser, csrf) = await SignedInAsync();
        using (var signOut = await browser.PostAsync("/admin/sign-out", new FormUrlEncodedContent([new("csrf", csrf)])))
        {
            Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        }

        using var after = await browser.GetAsync("/admin/health");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task The_session_cookie_is_http_only_same_site_strict_and_scoped_to_the_console()
    {
        using var signIn = await SignInAsync(Browser(), Key);
        var cookie = Assert.Single(signIn.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("satsmotion_admin=", cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/admin", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("max-age=43200", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_change_from_another_site_is_refused_and_one_from_the_console_is_logged_with_who_made_it()
    {
        var tokenId = await PaidTokenIdAsync();
        var (browser, csrf) = await SignedInAsync();

        using (var crossSite = new HttpRequestMessage(HttpMethod.Post, "/admin/tokens/revoke") { Content = Revoke(csrf, tokenId) })
        {
            crossSite.Headers.Add("Origin", "https://evil.example");
            using var refused = await browser.SendAsync(crossSite);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("ADMIN_CROSS_SITE", (await refused.Content.ReadFromJsonAsync<JsonNode>())!["error_code"]!.GetValue<string>());
        }

        using (var fetchedCrossSite = new HttpRequestMessage(HttpMethod.Post, "/admin/tokens/revoke") { Content = Revoke(csrf, tokenId) })
        {
            fetchedCrossSite.Headers.Add("Sec-Fetch-Site", "cross-site");
            using var refused = await browser.SendAsync(fetchedCrossSite);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using (var withoutToken = await browser.PostAsync("/admin/tokens/revoke", Revoke(new string('0', 64), tokenId)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, withoutToken.StatusCode);
        }

        Assert.False(IsRevoked(tokenId));
        Assert.Empty(await _host.Services.GetRequiredService<Admin.AdminActionLog>().ListAsync(10, CancellationToken.None));

        using var sameSite = new HttpRequestMessage(HttpMethod.Post, "/admin/tokens/revoke") { Content = Revoke(csrf, tokenId) };
        sameSite.Headers.Add("Origin", "http://localhost");
        sameSite.Headers.Add("Sec-Fetch-Site", "same-origin");
        using var done = await browser.SendAsync(sameSite);
        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        Assert.Equal("/admin/money?notice=revoked", done.Headers.Location!.OriginalString);
        Assert.True(IsRevoked(tokenId));
        var action = Assert.Single(await _host.Services.GetRequiredService<Admin.AdminActionLog>().ListAsync(10, CancellationToken.None));
        Assert.Equal(("revoke-token", tokenId), (action.Action, action.Target));
        Assert.Matches("^session [0-9a-f]{8} from ", action.Who);
        Assert.Equal(_clock.GetUtcNow().ToUnixTimeMilliseconds(), action.At.ToUnixTimeMilliseconds());
        Assert.Contains(tokenId, await browser.GetStringAsync("/admin/money"));
        Assert.Contains("revoke-token", await browser.GetStringAsync("/admin/actions"));
    }

    [Fact]
    public async Task A_script_revokes_with_its_bearer_key_and_the_token_then_redeems_nothing()
    {
        var body = TestHost.Body("a token to revoke");
        var (macaroon, preimage, challenge) = await _host.BuyAsync(body);
        var tokenId = Convert.ToHexStringLower(L402.Tokens.ServerSecrets.DeriveTokenId(_host.Services.GetRequiredService<L402.Tokens.ServerSecrets>().Current,
            Convert.FromHexString(challenge["payment_hash"]!.GetValue<string>())));
        using var revoked = await Script().PostAsync("/admin/tokens/revoke", new FormUrlEncodedContent([new("token_id", tokenId)]));
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal(tokenId, (await revoked.Content.ReadFromJsonAsync<JsonNode>())!["revoked"]!.GetValue<string>());
        Assert.StartsWith("bearer key from ", Assert.Single(await _host.Services.GetRequiredService<Admin.AdminActionLog>().ListAsync(10, CancellationToken.None)).Who);

        using var redeem = await _host.AnimateAsync(body, TestHost.Credential(macaroon, preimage));
        Assert.Equal(HttpStatusCode.Unauthorized, redeem.StatusCode);
        Assert.Equal("L402_TOKEN_REVOKED", (await _host.JsonAsync(redeem))["error_code"]!.GetValue<string>());

        using var bad = await Script().PostAsync("/admin/tokens/revoke", new FormUrlEncodedContent([new("token_id", "not-hex")]));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("token_id", (await bad.Content.ReadFromJsonAsync<JsonNode>())!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Checking_the_models_again_is_an_action_on_record()
    {
        using var response = await Script().PostAsync("/admin/models/check", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var models = (await response.Content.ReadFromJsonAsync<JsonArray>())!;
        Assert.Equal("motion", models[0]!["slug"]!.GetValue<string>());
        Assert.True(models[0]!["available"]!.GetValue<bool>());
        Assert.Equal("check-models", Assert.Single(await _host.Services.GetRequiredService<Admin.AdminActionLog>().ListAsync(10, CancellationToken.None)).Action);
    }

    [Fact]
    public async Task The_earnings_and_funnel_are_the_stores()
    {
        await PaidTokenIdAsync("first");
        await PaidTokenIdAsync("second");
        using (await _host.AnimateAsync(TestHost.Body("never paid")))
        {
        }

        var earnings = (await Script().GetFromJsonAsync<JsonNode>("/admin"))!;
        Assert.Equal(600, earnings["received_sats"]!.GetValue<long>());
        Assert.Equal(600, earnings["net_sats"]!.GetValue<long>());
        var funnel = earnings["funnel"]!;
        Assert.Equal(3, funnel["challenges"]!.GetValue<long>());
        Assert.Equal(2, funnel["paid"]!.GetValue<long>());
        var today = earnings["days"]!.AsArray()[^1]!;
        Assert.Equal(DateOnly.FromDateTime(_clock.GetUtcNow().UtcDateTime).ToString("yyyy-MM-dd"), today["day"]!.GetValue<string>());
        Assert.Equal(600, today["sats"]!.GetValue<long>());
        Assert.Equal(30, earnings["days"]!.AsArray().Count);
        var model = Assert.Single(earnings["models"]!.AsArray())!;
        Assert.Equal(("motion", 600L, 2L), (model["model"]!.GetValue<string>(), model["sats"]!.GetValue<long>(), model["jobs"]!.GetValue<long>()));

        // A job older than the window is not counted.
        _clock.Advance(TimeSpan.FromDays(31));
        var later = (await Script().GetFromJsonAsync<JsonNode>("/admin"))!;
        Assert.Equal(0, later["received_sats"]!.GetValue<long>());
        Assert.Equal(0, later["funnel"]!["challenges"]!.GetValue<long>());
    }

    [Fact]
    public async Task An_invoice_settled_below_its_price_is_listed_for_the_operator()
    {
        using var host = new TestHost(settings: new() { ["SatsMotion:VerifySettlement"] = "true" },
            services: services => services.AddSingleton<ILightningBackend>(sp => new ShortPayingNode(sp.GetRequiredService<DevLightningNode>())));
        var body = TestHost.Body();
        var (macaroon, preimage, challenge) = await host.BuyAsync(body);
        using var refused = await host.AnimateAsync(body, TestHost.Credential(macaroon, preimage));
        Assert.Equal("PAYMENT_INSUFFICIENT", (await host.JsonAsync(refused))["error_code"]!.GetValue<string>());
        using var again = await host.AnimateAsync(body, TestHost.Credential(macaroon, preimage));

        var key = File.ReadAllText(Path.Combine(host.DataDirectory, "admin.key")).Trim();
        using var script = host.CreateClient();
        script.DefaultRequestHeaders.Authorization = new("Bearer", key);
        script.DefaultRequestHeaders.Accept.ParseAdd("application/json");
        var money = (await script.GetFromJsonAsync<JsonNode>("/admin/money"))!;
        var underpaid = Assert.Single(money["underpaid"]!.AsArray())!;
        Assert.Equal(challenge["payment_hash"]!.GetValue<string>(), underpaid["payment_hash"]!.GetValue<string>());
        Assert.Equal(300, underpaid["price_sats"]!.GetValue<long>());
        Assert.Equal(299_000, underpaid["received_msat"]!.GetValue<long>());
    }

    [Fact]
    public async Task Every_value_a_caller_chose_is_encoded_on_the_pages()
    {
        await PaidTokenIdAsync("<script>alert(1)</script> & \"quotes\"");
        var (browser, _) = await SignedInAsync();
        var jobs = await browser.GetStringAsync("/admin/jobs");
        var jobId = System.Text.RegularExpressions.Regex.Match(jobs, "data-job=\"([0-9a-f]{32})\"").Groups[1].Value;
        var page = await browser.GetStringAsync($"/admin/jobs/{jobId}");
        Assert.DoesNotContain("<script>alert", page);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;", page);
    }

    [Fact]
    public async Task A_worker_serves_no_console()
    {
        using var worker = new TestHost(settings: new() { ["role"] = "worker" });
        using var response = await worker.CreateClient().GetAsync("/admin/sign-in");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(File.Exists(Path.Combine(worker.DataDirectory, "admin.key")));
    }
}
