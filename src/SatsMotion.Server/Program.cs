using Microsoft.Extensions.Options;
using SatsMotion.Lightning.Connection;
using SatsMotion.Server;
using SatsMotion.Server.Agents;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Hardening;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;
using SatsMotion.Video.Models;

// "--version" prints the version (the one /healthz and the banner show) and exits.
if (args.Contains("--version"))
{
    Console.WriteLine($"satsmotion {ServerVersion.Text}");
    return 0;
}

// An operator verb is the first argument that is not a setting; anything after it is the verb's own.
var verb = OperatorVerb.Parse(args);
if (verb is not null && verb.Name is not (OperatorVerb.Presets or OperatorVerb.RevokeToken))
{
    // A mistyped verb must not start a server instead.
    Console.Error.WriteLine($"satsmotion: unknown verb '{verb.Name}'; the verbs are {OperatorVerb.Presets} and {OperatorVerb.RevokeToken} <token_id> [reason]");
    return 2;
}

// Operator verb: "presets" lists the models an entry of SatsMotion:Models may name, and exits.
if (verb?.Name == OperatorVerb.Presets)
{
    ModelPresets.Print(Console.Out);
    return 0;
}

// appsettings.json and the web page are found beside the program, whatever directory it is started from
// (a service manager may start it from /).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

// Loopback on port 5402 unless ASPNETCORE_URLS or --urls says otherwise: a dev node must not face the internet by accident.
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5402");
}

var maxRequestBytes = builder.Configuration.GetSection(SatsMotionOptions.Section).Get<SatsMotionOptions>()?.MaxRequestBytes ?? new SatsMotionOptions().MaxRequestBytes;

// Kestrel's own limit sits just above ours, so oversized bodies get our JSON 413 rather than a bare reset.
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = maxRequestBytes + 1024 * 1024);
try
{
    if (SettingsFile.Add(builder.Configuration) is { } settingsProblem)
    {
        Console.Error.WriteLine($"satsmotion: {settingsProblem}");
        return 2;
    }

    builder.Services.AddSatsMotion(builder.Configuration);
}
catch (Exception e) when (e is LightningConfigurationException or VideoConfigurationException or SettingsException)
{
    Console.Error.WriteLine($"satsmotion: {e.Message}");
    return 2;
}

builder.Services.AddOpenApi(OpenApiPaymentResponses.Configure);
builder.Services.AddProblemDetails();

var app = builder.Build();

// The schema first: every server migrates at start (under a lock), and nothing runs against an older one.
using (var migration = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
{
    var database = app.Services.GetRequiredService<Database>();
    try
    {
        await database.MigrateAsync(migration.Token);
    }
    catch (Exception e) when (e is System.Data.Common.DbException or TimeoutException or OperationCanceledException or System.Net.Sockets.SocketException)
    {
        Console.Error.WriteLine($"satsmotion: the database ({database.Description}) cannot be used: {e.Message}");
        return 3;
    }
}

app.UseHttpHardening();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseDefaultFiles();
app.UseStaticFiles();
app.MapOpenApi();
app.MapSatsMotion();

// Operator verb: "revoke-token <token_id> [reason]" marks one token unusable and exits (the server may be running).
if (verb?.Name == OperatorVerb.RevokeToken)
{
    if (verb.Arguments.Count < 1 || verb.Arguments[0].Length != 64 || !verb.Arguments[0].All(char.IsAsciiHexDigit))
    {
        Console.Error.WriteLine("usage: revoke-token <token_id: 64 hex> [reason]");
        return 2;
    }

    var tokenId = verb.Arguments[0];
    await app.Services.GetRequiredService<RevocationStore>().RevokeAsync(tokenId, verb.Arguments.Count > 1 ? string.Join(' ', verb.Arguments.Skip(1)) : "revoked by the operator", CancellationToken.None);
    Console.WriteLine($"token {tokenId} revoked");
    return 0;
}

// A worker never talks to the Lightning node: it needs no credential for it. Nor does it serve the console, whose
// key is read (or made, at first start) now, so a bad AdminKeyFile stops the start.
var role = app.Services.GetRequiredService<IOptions<SatsMotionOptions>>().Value.Role;
if (role != ServerRole.Worker)
{
    try
    {
        app.Services.GetRequiredService<SatsMotion.Server.Admin.AdminKey>();
    }
    catch (SettingsException e)
    {
        Console.Error.WriteLine($"satsmotion: {e.Message}");
        return 2;
    }
}

var problem = role == ServerRole.Worker ? null : await app.Services.GetRequiredService<LightningSelfCheck>().RunAsync(CancellationToken.None);
if (problem is not null)
{
    Console.Error.WriteLine($"satsmotion: {problem}");
    return 3;
}

// Unavailable models are not fatal: they are listed as such and refused with 503 until a later check finds them.
using (var modelCheck = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
{
    await app.Services.GetRequiredService<ModelAvailabilityMonitor>().CheckAsync(modelCheck.Token);
}

app.Lifetime.ApplicationStarted.Register(() => StartupBanner.Print(app.Services));
await app.RunAsync();
return 0;

/// <summary>The host's entry point, public so that tests can start it in process.</summary>
public partial class Program;
