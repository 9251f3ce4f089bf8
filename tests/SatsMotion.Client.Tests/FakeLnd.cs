using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SatsMotion.Lightning.Bolt11;

namespace SatsMotion.Client.Tests;

/// <summary>
/// Stands for an LND node's REST API (the parts a payer uses): POST /v1/channels/transactions with
/// Grpc-Metadata-macaroon, bytes fields in base64, and GET /v1/payments. It "routes" each payment by settling the
/// invoice at the SatsMotion dev node, so the preimage it returns is the real one.
/// </summary>
public sealed class FakeLnd
{
    public const string MacaroonHex = "0201036c6e6402f801030a10";
    private readonly List<(string Hash, string Preimage)> _payments = [];

    public int PayCalls { get; private set; }

    public long? LastFeeLimit { get; private set; }

    /// <summary>Answer with a preimage that does not hash to the invoice (a buggy or hostile node).</summary>
    public bool ReturnWrongPreimage { get; init; }

    public void Map(WebApplication app, Uri devNode)
    {
        app.MapPost("/v1/channels/transactions", async (HttpContext context) =>
        {
            if (context.Request.Headers["Grpc-Metadata-macaroon"] != MacaroonHex)
            {
                return Results.Json(new { code = 2, message = "verification failed: signature mismatch after caveat verification" }, statusCode: 401);
            }

            PayCalls++;
            var body = (await context.Request.ReadFromJsonAsync<JsonNode>())!;
            LastFeeLimit = long.Parse(body["fee_limit"]!["fixed"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
            var invoice = Bolt11Codec.Decode(body["payment_request"]!.GetValue<string>());
            using var http = new HttpClient();
            using var paid = await http.PostAsJsonAsync(new Uri(devNode, "/api/dev/pay"), new { invoice = invoice.PaymentRequest });
            if (!paid.IsSuccessStatusCode)
            {
                return Results.Json(new { payment_error = "unable to find a path to destination", payment_preimage = "", payment_hash = "" });
            }

            var preimage = (await paid.Content.ReadFromJsonAsync<JsonNode>())!["preimage"]!.GetValue<string>();
            _payments.Add((invoice.PaymentHashHex, preimage));
            return Results.Json(new
            {
                payment_error = "",
                payment_preimage = Convert.ToBase64String(ReturnWrongPreimage ? new byte[32] : Convert.FromHexString(preimage)),
                payment_hash = Convert.ToBase64String(invoice.PaymentHash),
            });
        });
        app.MapGet("/v1/payments", (HttpContext context) => context.Request.Headers["Grpc-Metadata-macaroon"] != MacaroonHex
            ? Results.StatusCode(401)
            : Results.Json(new { payments = _payments.Select(p => new { payment_hash = p.Hash, payment_preimage = p.Preimage, status = "SUCCEEDED" }) }));
    }
}
