using System.Text;
using System.Text.Json.Nodes;

namespace SatsMotion.Server.Agents;

/// <summary>/llms.txt: the manifest told as a plain-text guide for a language model that has to use the service.</summary>
public static class LlmsText
{
    public static string Render(JsonObject manifest)
    {
        var service = manifest["services"]![0]!;
        var text = new StringBuilder();
        text.AppendLine($"# {manifest["name"]}").AppendLine();
        text.AppendLine($"> {manifest["description"]}").AppendLine();
        text.AppendLine("## How to pay and call");
        text.AppendLine($"1. POST {service["endpoint"]} with JSON {{\"prompt\", \"image\" (base64), \"duration\"?, \"modelId\"?}} and no credentials.");
        var authentication = service["authentication"]!;
        text.AppendLine($"2. You get {authentication["challenge"]}. The body also has price_sats, invoice, macaroon, payment_hash, expires_at.");
        foreach (var scheme in authentication["schemes"]!.AsArray())
        {
            text.AppendLine($"   - {scheme!["scheme"]}: {scheme["challenge"]}");
        }

        text.AppendLine("3. Pay the invoice with a Lightning wallet; the wallet gives you the preimage.");
        text.AppendLine($"4. Send the identical request with one credential: {service["responses"]!["sync"]}, or {service["responses"]!["async"]}.");
        foreach (var scheme in authentication["schemes"]!.AsArray())
        {
            // The Payment scheme's receipt is what its clients check on the paid answer: say where it comes.
            text.AppendLine($"   - {scheme!["scheme"]}: {scheme["credential"]}{(scheme["receipt"] is { } receipt ? $"; the answer carries {receipt}" : "")}");
        }

        text.AppendLine($"   {service["responses"]!["prefer"]}. Poll {service["responses"]!["poll"]!["url"]} every {service["responses"]!["poll"]!["interval_ms"]} ms,");
        text.AppendLine($"   or follow {service["responses"]!["events"]!["url"]} ({service["responses"]!["events"]!["format"]}).");
        var webhooks = service["responses"]!["webhooks"]!;
        text.AppendLine($"   Webhooks: send {webhooks["field"]}; you get {string.Join(" or ", webhooks["events"]!.AsArray())}, signed with {webhooks["signature"]}; retried {webhooks["retries"]}.");
        text.AppendLine($"   {authentication["one_job_per_payment"]}.").AppendLine();
        text.AppendLine("## Models and prices");
        text.AppendLine($"{service["pricing"]!["rule"]}.");
        foreach (var model in service["pricing"]!["models"]!.AsArray())
        {
            var prices = string.Join(", ", model!["prices_sats"]!.AsObject().Select(p => $"{p.Key} s = {p.Value} sats"));
            text.AppendLine($"- {model["slug"]} (id {model["id"]}, {model["kind"]}{(model["default"]!.GetValue<bool>() ? ", default" : "")}{(model["available"]!.GetValue<bool>() ? "" : ", unavailable now")}): " +
                $"{model["name"]}; {model["sats_per_second"]} sats/s; {prices}");
        }

        text.AppendLine().AppendLine("## Request fields");
        foreach (var field in service["request_schema"]!["properties"]!.AsObject())
        {
            text.AppendLine($"- {field.Key}: {field.Value!["description"]}");
        }

        text.AppendLine().AppendLine("## Errors (JSON {error, error_code, field?, hint})");
        foreach (var error in service["errors"]!.AsObject())
        {
            text.AppendLine($"- {error.Key}: {error.Value}");
        }

        foreach (var (code, meaning) in ServiceManifest.OtherErrorCodes)
        {
            text.AppendLine($"- {code}: {meaning}");
        }

        text.AppendLine().AppendLine("## More");
        text.AppendLine($"- OpenAPI: {manifest["openapi"]}");
        text.AppendLine($"- Manifest: /.well-known/l402-services");
        text.AppendLine($"- MCP (streamable HTTP): {manifest["mcp"]} (tools list_models, quote_animation, create_animation_invoice, check_invoice, redeem_animation, get_job)");
        return text.ToString();
    }
}
