using SatsMotion.Server;
using SatsMotion.Server.Configuration;

var builder = WebApplication.CreateBuilder(args);

// Loopback on port 5402 unless ASPNETCORE_URLS or --urls says otherwise: a dev node must not face the internet by accident.
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5402");
}

var maxRequestBytes = builder.Configuration.GetSection(SatsMotionOptions.Section).Get<SatsMotionOptions>()?.MaxRequestBytes ?? new SatsMotionOptions().MaxRequestBytes;

// Kestrel's own limit sits just above ours, so oversized bodies get our JSON 413 rather than a bare reset.
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = maxRequestBytes + 1024 * 1024);
builder.Services.AddSatsMotion(builder.Configuration);
builder.Services.AddOpenApi();
builder.Services.AddProblemDetails();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseDefaultFiles();
app.UseStaticFiles();
app.MapOpenApi();
app.MapSatsMotion();
app.Lifetime.ApplicationStarted.Register(() => StartupBanner.Print(app.Services));
app.Run();

/// <summary>The host's entry point, public so that tests can start it in process.</summary>
public partial class Program;
