using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SatsMotion.Client.Mcp;
using SatsMotion.Client.Wallets;
using SatsMotion.Lightning.Bolt11;
using SatsMotion.Video.Images;
using SatsMotion.Video.Motion;

namespace SatsMotion.Client.Commands;

/// <summary>The satsmotion command line: animate, models, pay, get, post, tokens.</summary>
public sealed class Cli(TextWriter output, TextWriter error, Func<string, string?> environment, TextReader input)
{
    private readonly Option<string?> _server = new("--server") { Description = "SatsMotion server URL (default http://127.0.0.1:5402, or SATSMOTION_SERVER)", Recursive = true };
    private readonly Option<string?> _wallet = new("--wallet") { Description = "dev (a local server's test wallet) or lnd (SATSMOTION_LND_HOST, _MACAROON, _TLSCERT)", Recursive = true };
    private readonly Option<long> _maxCost = new("--max-cost") { Description = "never pay more than this many sats", DefaultValueFactory = _ => 1000, Recursive = true };
    private readonly Option<long> _maxFee = new("--max-fee") { Description = "routing fee limit in sats", DefaultValueFactory = _ => 10, Recursive = true };
    private readonly Option<bool> _yes = new("--yes", "-y") { Description = "pay without asking (still within --max-cost)", Recursive = true };
    private readonly Option<bool> _json = new("--json") { Description = "machine-readable output", Recursive = true };
    private readonly Option<bool> _preferMpp = new("--prefer-mpp") { Description = "when a 402 offers both, pay with the Payment scheme (MPP) rather than L402", Recursive = true };

    public async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("satsmotion: pay-per-use image-to-video over L402 or MPP (Lightning), and a generic paying fetch");
        foreach (var option in new Option[] { _server, _wallet, _maxCost, _maxFee, _yes, _json, _preferMpp })
        {
            root.Options.Add(option);
        }

        root.Subcommands.Add(AnimateCommand());
        root.Subcommands.Add(ModelsCommand());
        root.Subcommands.Add(PayCommand());
        root.Subcommands.Add(FetchCommand("get", HttpMethod.Get));
        root.Subcommands.Add(FetchCommand("post", HttpMethod.Post));
        root.Subcommands.Add(TokensCommand());
        root.Subcommands.Add(McpCommand());
        // No response files: "-d @body.json" means a body read from a file, as in curl.
        var parsing = new ParserConfiguration { ResponseFileTokenReplacer = null };
        return await root.Parse(args, parsing).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
    }

    private Command AnimateCommand()
    {
        var image = new Argument<FileInfo>("image") { Description = "the still to animate" };
        var prompt = new Option<string>("--prompt", "-p") { Description = "how the camera should move", Required = true };
        var duration = new Option<int>("--duration", "-d") { Description = "seconds, 3..15", DefaultValueFactory = _ => 5 };
        var model = new Option<string?>("--model", "-m") { Description = "model id or slug (default: the server's default)" };
        var outputFile = new Option<FileInfo?>("--output", "-o") { Description = "where to write the MP4 (default: <image>.mp4)" };
        var command = new Command("animate", "animate an image: pay, redeem, wait, download") { image, prompt, duration, model, outputFile };
        command.SetAction((parse, ct) => Guard(parse, async () =>
        {
            var file = parse.GetValue(image)!;
            var bytes = await ReadImageAsync(file, ct);
            var body = new JsonObject { ["prompt"] = parse.GetValue(prompt), ["image"] = Convert.ToBase64String(bytes), ["duration"] = parse.GetValue(duration) };
            if (parse.GetValue(model) is { } id)
            {
                body["modelId"] = int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : id;
            }

            var (settings, http, fetcher) = Setup(parse);
            var url = new Uri(new Uri(settings.Server), "/api/l402/animate-image");
            var result = await fetcher.SendAsync(HttpMethod.Post, url, Encoding.UTF8.GetBytes(body.ToJsonString()), new Dictionary<string, string> { ["Prefer"] = "respond-async" }, Policy(parse), ct);
            var job = await ReadJsonAsync(result.Response, ct);
            if (result.Response.StatusCode == System.Net.HttpStatusCode.BadRequest)
            {
                throw new ClientException(ClientExit.BadInput, $"{job["field"]}: {job["error"]}");
            }

            if (job["jobId"] is null)
            {
                throw new ClientException(ClientExit.ServerError, $"the server answered {(int)result.Response.StatusCode}: {job["error"]} {job["hint"]}");
            }

            job = await WaitForJobAsync(http, new Uri(settings.Server), job, parse.GetValue(_json), ct);
            var target = parse.GetValue(outputFile) ?? new FileInfo(Path.ChangeExtension(file.FullName, ".mp4"));
            var videoUrl = job["videoUrl"]!.GetValue<string>();
            await DownloadAsync(http, new Uri(videoUrl), target, parse.GetValue(_json), ct);
            Report(parse, $"{target.FullName}\n{videoUrl}", new { path = target.FullName, videoUrl, jobId = job["jobId"]!.GetValue<string>(), paid_sats = result.PaidSats, reused_token = result.UsedCachedToken, scheme = result.Scheme });
        }));
        return command;
    }

    private Command ModelsCommand()
    {
        var command = new Command("models", "list the server's models and prices");
        command.SetAction((parse, ct) => Guard(parse, async () =>
        {
            var (settings, http, _) = Setup(parse);
            var models = await http.GetFromJsonAsync<JsonArray>(new Uri(new Uri(settings.Server), "/api/l402/models"), ct) ?? [];
            var lines = models.Select(m => $"{m!["id"],-4} {m["slug"],-12} {m["price_sats_per_second"]} sats/s  {m["min_duration"]}-{m["max_duration"]} s  {m["name"]}");
            Report(parse, string.Join('\n', lines), models);
        }));
        return command;
    }

    private Command PayCommand()
    {
        var invoiceArgument = new Argument<string>("invoice") { Description = "a BOLT11 invoice" };
        var command = new Command("pay", "pay one invoice with the configured wallet and print the preimage") { invoiceArgument };
        command.SetAction((parse, ct) => Guard(parse, async () =>
        {
            if (!Bolt11Codec.TryDecode(parse.GetValue(invoiceArgument)!, out var invoice, out var problem))
            {
                throw new ClientException(ClientExit.BadInput, $"invalid invoice: {problem}");
            }

            var price = invoice!.AmountSat ?? throw new ClientException(ClientExit.PriceRefused, "the invoice has no amount");
            var policy = Policy(parse);
            if (price > policy.MaxCostSats || (price > policy.AutoApproveSats && !policy.Confirm(price, invoice.Description ?? "")))
            {
                throw new ClientException(ClientExit.PriceRefused, $"price {price} sats refused; nothing was paid");
            }

            var (settings, http, _) = Setup(parse);
            byte[] preimage;
            try
            {
                preimage = await settings.CreateWallet(http).PayAsync(invoice, parse.GetValue(_maxFee), ct);
            }
            catch (WalletException e)
            {
                throw new ClientException(ClientExit.PaymentFailed, e.Message);
            }

            Report(parse, Convert.ToHexStringLower(preimage), new { preimage = Convert.ToHexStringLower(preimage), payment_hash = invoice.PaymentHashHex, amount_sats = price });
        }));
        return command;
    }

    private Command FetchCommand(string name, HttpMethod method)
    {
        var url = new Argument<string>("url") { Description = "any URL behind L402 (or LSAT) or the Payment scheme (MPP, Lightning charge)" };
        var data = new Option<string?>("--data", "-d") { Description = "request body (JSON), or @file" };
        var command = new Command(name, $"{name.ToUpperInvariant()} a URL, paying its L402 or Payment challenge if it has one") { url };
        if (method == HttpMethod.Post)
        {
            command.Options.Add(data);
        }

        command.SetAction((parse, ct) => Guard(parse, async () =>
        {
            if (!Uri.TryCreate(parse.GetValue(url), UriKind.Absolute, out var target) || target.Scheme is not ("http" or "https"))
            {
                throw new ClientException(ClientExit.BadInput, $"'{parse.GetValue(url)}' is not an http(s) URL");
            }

            var (_, _, fetcher) = Setup(parse);
            var raw = method == HttpMethod.Post ? parse.GetValue(data) : null;
            var body = raw is null ? null : raw.StartsWith('@') ? await File.ReadAllBytesAsync(raw[1..], ct) : Encoding.UTF8.GetBytes(raw);
            var result = await fetcher.SendAsync(method, target, body, new Dictionary<string, string>(), Policy(parse), ct);
            var text = await result.Response.Content.ReadAsStringAsync(ct);
            if (!result.Response.IsSuccessStatusCode)
            {
                throw new ClientException(ClientExit.ServerError, $"{(int)result.Response.StatusCode}: {text}");
            }

            output.WriteLine(text);
        }));
        return command;
    }

    private Command TokensCommand()
    {
        var list = new Command("list", "the tokens paid for so far (secrets hidden)");
        list.SetAction((parse, _) => Guard(parse, () =>
        {
            var tokens = Cache(parse).All();
            Report(parse, string.Join('\n', tokens.Select(t => $"{t.CreatedAt:u}  {t.Server}  {t.PriceSats} sats  {(t.IsPaid ? "paid" : "payment in flight")}  {t.PaymentHash}")),
                tokens.Select(t => new { t.Server, t.PriceSats, paid = t.IsPaid, payment_hash = t.PaymentHash, created_at = t.CreatedAt }));
            return Task.CompletedTask;
        }));
        var clear = new Command("clear", "forget all cached tokens");
        clear.SetAction((parse, _) => Guard(parse, () =>
        {
            var count = Cache(parse).Clear();
            Report(parse, $"removed {count} tokens", new { removed = count });
            return Task.CompletedTask;
        }));
        return new Command("tokens", "the local token cache") { list, clear };
    }

    private Command McpCommand()
    {
        var budget = new Option<long>("--budget") { Description = "sats this session may spend in all; with it (and a wallet) agents get the one-shot animate_image tool" };
        var command = new Command("mcp", "serve the SatsMotion tools to an AI agent over MCP (stdio)") { budget };
        command.SetAction((parse, ct) => Guard(parse, async () =>
        {
            var (settings, http, fetcher) = Setup(parse);
            var session = parse.GetValue(budget) > 0 ? new SessionBudget(parse.GetValue(_maxCost), parse.GetValue(_maxFee), parse.GetValue(budget)) : null;
            await AgentServer.RunAsync(new ServerApi(http, new Uri(settings.Server)), fetcher, session, ct);
        }));
        return command;
    }

    private async Task<int> Guard(ParseResult parse, Func<Task> action)
    {
        try
        {
            await action();
            return (int)ClientExit.Ok;
        }
        catch (ClientException e)
        {
            if (parse.GetValue(_json))
            {
                output.WriteLine(JsonSerializer.Serialize(new { error = e.Message, exit = e.Exit.ToString() }));
            }
            else
            {
                error.WriteLine($"satsmotion: {e.Message}");
            }

            return (int)e.Exit;
        }
    }

    private ClientSettings Settings(ParseResult parse) => ClientSettings.Resolve(parse.GetValue(_server), parse.GetValue(_wallet), environment);

    private (ClientSettings Settings, HttpClient Http, PaymentFetcher Fetcher) Setup(ParseResult parse)
    {
        var settings = Settings(parse);
        var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        return (settings, http, new PaymentFetcher(http, settings.CreateWallet(http), new TokenCache(settings.ConfigDirectory), error, parse.GetValue(_preferMpp)));
    }

    private TokenCache Cache(ParseResult parse) => new(Settings(parse).ConfigDirectory);

    private static string Bar(double fraction) => $"[{new string('#', (int)(Math.Clamp(fraction, 0, 1) * 30)).PadRight(30)}]";

    private PaymentPolicy Policy(ParseResult parse)
    {
        var maxCost = parse.GetValue(_maxCost);

        // --yes approves anything within --max-cost; otherwise ask on the terminal.
        return new PaymentPolicy(maxCost, parse.GetValue(_maxFee), parse.GetValue(_yes) ? maxCost : 0, (price, description) =>
        {
            error.Write($"Pay {price} sats for \"{description}\"? [y/N] ");
            return input.ReadLine()?.Trim().ToLowerInvariant() is "y" or "yes";
        });
    }

    private void Report(ParseResult parse, string text, object json) =>
        output.WriteLine(parse.GetValue(_json) ? JsonSerializer.Serialize(json) : text);

    private static async Task<byte[]> ReadImageAsync(FileInfo file, CancellationToken ct)
    {
        if (!file.Exists)
        {
            throw new ClientException(ClientExit.BadInput, $"{file.FullName}: no such file");
        }

        var bytes = await File.ReadAllBytesAsync(file.FullName, ct);
        try
        {
            using var _ = ImageIntake.Decode(bytes, OutputFrame.LongestSide);
        }
        catch (ImageRejectedException e)
        {
            throw new ClientException(ClientExit.BadInput, $"{file.Name}: {e.Message}");
        }

        return bytes;
    }

    // Live progress from the job's event stream when the server offers one; polling where it does not or the stream breaks.
    private async Task<JsonObject> WaitForJobAsync(HttpClient http, Uri server, JsonObject job, bool quiet, CancellationToken ct)
    {
        void Show(JsonObject state)
        {
            if (!quiet && state["status"]?.GetValue<string>() is "QUEUED" or "PROCESSING")
            {
                var progress = state["progress"]?.GetValue<double>() ?? 0;
                error.Write($"\rrendering {Bar(progress)} {progress:P0}   ");
            }
        }

        Show(job);
        if (IsRunning(job) && job["events_url"]?.GetValue<string>() is { } events && Uri.TryCreate(events, UriKind.Absolute, out var eventsUrl))
        {
            job = await FollowEventsAsync(http, eventsUrl, job, Show, ct);
        }

        var pollUrl = new Uri(server, $"/api/l402/jobs/{job["jobId"]}");
        while (IsRunning(job))
        {
            await Task.Delay(500, ct);
            job = (await http.GetFromJsonAsync<JsonObject>(pollUrl, ct))!;
            Show(job);
        }

        if (!quiet)
        {
            error.WriteLine();
        }

        return job["status"]?.GetValue<string>() == "COMPLETED" && job["videoUrl"] is not null
            ? job
            : throw new ClientException(ClientExit.JobFailed, $"the job failed: {job["error"]} (run the same command again to retry without paying)");
    }

    private static bool IsRunning(JsonObject job) => job["status"]?.GetValue<string>() is "QUEUED" or "PROCESSING";

    /// <summary>The job's last state on its event stream: the terminal one, or the last seen when the stream ends early.</summary>
    private static async Task<JsonObject> FollowEventsAsync(HttpClient http, Uri url, JsonObject job, Action<JsonObject> show, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.ParseAdd("text/event-stream");
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (!response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            {
                return job;
            }

            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(stream).EnumerateAsync(ct))
            {
                if (item.EventType is "status" or "progress" && JsonNode.Parse(item.Data) is JsonObject state)
                {
                    job = state;
                    show(job);
                    if (!IsRunning(job))
                    {
                        break;
                    }
                }
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            // The stream broke: polling finishes the wait.
        }

        return job;
    }

    private async Task DownloadAsync(HttpClient http, Uri url, FileInfo target, bool quiet, CancellationToken ct)
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        var total = response.Content.Headers.ContentLength ?? 0;
        var partial = target.FullName + ".partial";
        await using (var source = await response.Content.ReadAsStreamAsync(ct))
        await using (var sink = File.Create(partial))
        {
            var buffer = new byte[81920];
            long done = 0;
            int read;
            while ((read = await source.ReadAsync(buffer, ct)) > 0)
            {
                await sink.WriteAsync(buffer.AsMemory(0, read), ct);
                done += read;
                if (!quiet && total > 0)
                {
                    error.Write($"\rdownloading {Bar((double)done / total)} {done / 1024} KB");
                }
            }
        }

        File.Move(partial, target.FullName, overwrite: true);
        if (!quiet)
        {
            error.WriteLine();
        }
    }

    private static async Task<JsonObject> ReadJsonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<JsonObject>(ct) ?? [];
        }
        catch (JsonException)
        {
            return new JsonObject { ["error"] = $"non-JSON answer ({(int)response.StatusCode})" };
        }
    }
}
