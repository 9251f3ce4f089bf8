using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SatsMotion.Lightning;

namespace SatsMotion.Bench;

/// <summary>
/// The least any 402 can cost on this machine, measured beside the real server: a bare ASP.NET Core host (no
/// middleware) that reads the same POST and answers with a 402 captured from the real server, byte for byte,
/// once as is and once after signing a hash of the body with secp256k1, the one signature every BOLT11 invoice
/// needs. No JSON, image check, storage or macaroon: what the real endpoint does on top of this is its own cost.
/// It runs in its own process with the server GC, as the real server does.
/// </summary>
public static class ChallengeFloorServer
{
    public const string TrivialPath = "/healthz";
    public const string FixedPath = "/fixed-402";
    public const string SignedPath = "/signed-402";

    /// <summary>Arguments: the URL to listen on, a file with the WWW-Authenticate value, a file with the body.</summary>
    public static async Task RunAsync(string[] args)
    {
        var (url, header, body) = (args[0], await File.ReadAllTextAsync(args[1]), await File.ReadAllBytesAsync(args[2]));
        var key = RandomNumberGenerator.GetBytes(32);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        await using var app = builder.Build();
        app.MapGet(TrivialPath, () => Results.Text("ok"));
        app.MapPost(FixedPath, context => AnswerAsync(context, header, body, null));
        app.MapPost(SignedPath, context => AnswerAsync(context, header, body, key));
        await app.RunAsync();
    }

    private static async Task AnswerAsync(HttpContext context, string header, byte[] body, byte[]? signingKey)
    {
        using var received = new MemoryStream();
        await context.Request.Body.CopyToAsync(received);
        if (signingKey is not null)
        {
            Secp256k1.Sign(SHA256.HashData(received.GetBuffer().AsSpan(0, (int)received.Length)), signingKey);
        }

        context.Response.StatusCode = StatusCodes.Status402PaymentRequired;
        context.Response.Headers.WWWAuthenticate = header;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(body);
    }
}
