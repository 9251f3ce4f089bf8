using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;

namespace SatsMotion.Backends.Tests.Definitions;

/// <summary>Checks each request an adapter sent and each answer its fake gave against what the node publishes.</summary>
public interface IPublishedDefinition
{
    /// <summary>What does not fit, each naming the call; empty when the exchange fits.</summary>
    IEnumerable<string> Problems(NodeExchange exchange);
}

/// <summary>The definitions kept as fixtures in Definitions/ (each names its repository, path and commit).</summary>
public static class DefinitionFiles
{
    public static JsonObject Load(string relativePath) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Definitions", relativePath)))!.AsObject();
}

/// <summary>
/// LND's REST gateway against lnrpc/lightning.swagger.json, routerrpc/router.swagger.json and
/// stateservice.swagger.json (lnd 90ea05d): request bodies and query parameters as declared; a 200 answer as its
/// operation's schema, a streaming one line by line as its "Stream result"; any other status is google.rpc.Status
/// (wrapped in "error" for a stream) with the HTTP status grpc-gateway v2.16.0 gives its code (runtime/errors.go).
/// </summary>
public sealed class LndDefinition : IPublishedDefinition
{
    private static readonly Dictionary<int, int> HttpStatusOfCode = new()
    {
        [0] = 200,
        [1] = 499,
        [2] = 500,
        [3] = 400,
        [4] = 504,
        [5] = 404,
        [6] = 409,
        [7] = 403,
        [8] = 429,
        [9] = 400,
        [10] = 409,
        [11] = 400,
        [12] = 501,
        [13] = 500,
        [14] = 503,
        [15] = 500,
        [16] = 401,
    };

    private readonly List<(string Method, Regex Path, string Template, JsonObject Operation, JsonObject Definitions)> _operations = [];

    public LndDefinition()
    {
        foreach (var file in new[] { "lnd/lightning.swagger.json", "lnd/router.swagger.json", "lnd/stateservice.swagger.json" })
        {
            var swagger = DefinitionFiles.Load(file);
            var definitions = new JsonObject(swagger["definitions"]!.AsObject().Select(d => KeyValuePair.Create(d.Key, (JsonNode?)StrictSchema.FromSwagger(d.Value!))));
            foreach (var (template, methods) in swagger["paths"]!.AsObject())
            {
                var path = new Regex("^" + Regex.Replace(template, @"\{[^}]+\}", "[^/]+") + "$");
                foreach (var (method, operation) in methods!.AsObject())
                {
                    _operations.Add((method.ToUpperInvariant(), path, template, operation!.AsObject(), definitions));
                }
            }
        }
    }

    public IEnumerable<string> Problems(NodeExchange exchange)
    {
        var method = exchange.Route.Split(' ')[0];
        var target = exchange.Target.Split('?');
        var found = _operations.Where(o => o.Method == method && o.Path.IsMatch(target[0])).ToList();
        if (found.Count != 1)
        {
            yield return $"{method} {target[0]}: not a call the published definition has";
            yield break;
        }

        var (_, _, template, operation, definitions) = found[0];
        var call = $"{method} {template}";
        var parameters = operation["parameters"]?.AsArray().Select(p => p!.AsObject()).ToList() ?? [];
        foreach (var name in target.Length > 1 ? target[1].Split('&').Select(q => Uri.UnescapeDataString(q.Split('=')[0])) : [])
        {
            if (!parameters.Any(p => p["in"]?.GetValue<string>() == "query" && p["name"]?.GetValue<string>() == name))
            {
                yield return $"{call}: query parameter '{name}' is not declared";
            }
        }

        var body = parameters.FirstOrDefault(p => p["in"]?.GetValue<string>() == "body");
        if (body is not null && exchange.Request is not null)
        {
            foreach (var problem in StrictSchema.Problems(StrictSchema.Build(StrictSchema.FromSwagger(body["schema"]!), definitions), exchange.Request))
            {
                yield return $"{call} request: {problem}";
            }
        }
        else if (body is null && exchange.Request is not null)
        {
            yield return $"{call}: sent a body the call does not take";
        }

        var success = operation["responses"]!["200"]!["schema"]!;
        var streaming = success["title"]?.GetValue<string>()?.StartsWith("Stream result", StringComparison.Ordinal) == true;
        var status = StrictSchema.Build(StrictSchema.FromSwagger(operation["responses"]!["default"]!["schema"]!), definitions);
        var answers = streaming ? exchange.Response.Split('\n', StringSplitOptions.RemoveEmptyEntries) : [exchange.Response];
        var schema = exchange.Status == 200 || streaming ? StrictSchema.Build(StrictSchema.FromSwagger(success), definitions) : status;
        foreach (var answer in answers)
        {
            foreach (var problem in StrictSchema.Problems(schema, answer))
            {
                yield return $"{call} answer ({exchange.Status}): {problem}";
            }

            if (exchange.Status != 200)
            {
                var error = streaming ? JsonNode.Parse(answer)?["error"] : JsonNode.Parse(answer);
                var code = error?["code"]?.GetValue<int>();
                if (code is null || HttpStatusOfCode.GetValueOrDefault(code.Value, 500) != exchange.Status)
                {
                    yield return $"{call}: HTTP {exchange.Status} is not the status grpc-gateway gives gRPC code {code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)"}";
                }
            }
        }
    }
}

/// <summary>
/// Core Lightning's clnrest against doc/schemas/&lt;method&gt;.json (v26.06): the body is the request's named
/// parameters, a 201 the response; an error is {code, message, data} with clnrest's status: 401/403 for the rune's
/// codes, 404 for an unknown method (-32601), 500 for any other RPC error (plugins/rest-plugin/src/handlers.rs).
/// </summary>
public sealed class ClnDefinition : IPublishedDefinition
{
    private static readonly JsonSchema Error = StrictSchema.Build(JsonNode.Parse("""
        {"type": "object", "additionalProperties": false, "required": ["code", "message", "data"],
         "properties": {"code": {"type": ["integer", "null"]}, "message": {"type": "string"}, "data": {}}}
        """)!);

    private static readonly int[] RuneCodes = [1501, 1502, 1503, -32602];

    public IEnumerable<string> Problems(NodeExchange exchange)
    {
        var method = exchange.Target.Split('?')[0].Split('/')[^1];
        var path = Path.Combine(AppContext.BaseDirectory, "Definitions", "cln", method + ".json");
        if (!File.Exists(path))
        {
            yield return $"{method}: no published schema is kept for this method";
            yield break;
        }

        var schema = DefinitionFiles.Load(Path.Combine("cln", method + ".json"));
        foreach (var problem in StrictSchema.Problems(StrictSchema.Build(StrictSchema.FromCln(schema["request"]!)), exchange.Request ?? "{}"))
        {
            yield return $"{method} request: {problem}";
        }

        var answer = exchange.Status == 201 ? StrictSchema.Build(StrictSchema.FromCln(schema["response"]!)) : Error;
        foreach (var problem in StrictSchema.Problems(answer, exchange.Response))
        {
            yield return $"{method} answer ({exchange.Status}): {problem}";
        }

        if (exchange.Status != 201)
        {
            var code = JsonNode.Parse(exchange.Response)?["code"]?.GetValue<int?>();
            var expected = code is { } c && RuneCodes.Contains(c) && exchange.Status is 401 or 403 ? exchange.Status : code == -32601 ? 404 : 500;
            if (expected != exchange.Status)
            {
                yield return $"{method}: HTTP {exchange.Status} for code {code} (clnrest answers {expected})";
            }
        }
    }
}

/// <summary>
/// NIP-47 (nips 47.md at 999f9bf) against its examples kept as JSON Schema in nwc/nip47.json: each decrypted request
/// (method, params) and reply (result_type, error, result) of a wallet service's journal, the kinds of the request,
/// the reply and the wallet's info event, and the tags of both events.
/// </summary>
public sealed class Nip47Definition
{
    private readonly JsonObject _spec = DefinitionFiles.Load("nwc/nip47.json");

    public IEnumerable<string> Problems(JsonNode entry)
    {
        var request = entry["request"]!;
        var reply = entry["reply"]!;
        var method = request["method"]?.GetValue<string>() ?? "(none)";
        var defs = _spec["$defs"]!.AsObject();
        foreach (var problem in StrictSchema.Problems(StrictSchema.Build(_spec["request"]!), request.ToJsonString()))
        {
            yield return $"{method} request: {problem}";
        }

        foreach (var problem in StrictSchema.Problems(StrictSchema.Build(_spec["response"]!), reply.ToJsonString()))
        {
            yield return $"{method} reply: {problem}";
        }

        foreach (var (field, kind) in new[] { ("infoKind", "info"), ("requestKind", "request"), ("replyKind", "response") })
        {
            var expected = _spec["kinds"]![kind]!.GetValue<int>();
            if (entry[field]?.GetValueKind() != System.Text.Json.JsonValueKind.Number || entry[field]!.GetValue<int>() != expected)
            {
                yield return $"{method} {kind}: kind {entry[field]?.ToJsonString() ?? "(not recorded)"}, NIP-47 gives {expected}";
            }
        }

        if (_spec["methods"]![method] is not JsonObject shapes)
        {
            yield return $"{method}: not a NIP-47 method";
            yield break;
        }

        foreach (var problem in StrictSchema.Problems(StrictSchema.Build(shapes["params"]!, defs), request["params"]!.ToJsonString()))
        {
            yield return $"{method} params: {problem}";
        }

        if (reply["result_type"]?.GetValue<string>() != method)
        {
            yield return $"{method} reply: result_type is '{reply["result_type"]}'";
        }

        if (reply["error"] is JsonObject error)
        {
            var codes = _spec["errorCodes"]!.AsArray().Concat(_spec["methodErrorCodes"]![method]?.AsArray() ?? []).Select(c => c!.GetValue<string>());
            if (!codes.Contains(error["code"]?.GetValue<string>()))
            {
                yield return $"{method} reply: error code '{error["code"]}' is not one NIP-47 gives this method";
            }
        }
        else
        {
            foreach (var problem in StrictSchema.Problems(StrictSchema.Build(shapes["result"]!, defs), reply["result"]?.ToJsonString() ?? "null"))
            {
                yield return $"{method} result: {problem}";
            }
        }

        foreach (var problem in TagProblems(method, "request", entry["requestTags"]!.AsArray(), _spec["requestTags"]!).Concat(TagProblems(method, "reply", entry["replyTags"]!.AsArray(), _spec["responseTags"]!)))
        {
            yield return problem;
        }
    }

    private static IEnumerable<string> TagProblems(string method, string side, JsonArray tags, JsonNode rule)
    {
        var names = tags.Select(t => t![0]!.GetValue<string>()).ToList();
        foreach (var required in rule["required"]!.AsArray().Select(r => r!.GetValue<string>()).Where(r => !names.Contains(r)))
        {
            yield return $"{method} {side}: no '{required}' tag";
        }

        foreach (var other in names.Where(n => !rule["allowed"]!.AsArray().Any(a => a!.GetValue<string>() == n)))
        {
            yield return $"{method} {side}: tag '{other}' is not one NIP-47 names";
        }

        if (tags.FirstOrDefault(t => t![0]!.GetValue<string>() == "encryption") is JsonArray encryption
            && !rule["encryption"]!.AsArray().Any(e => e!.GetValue<string>() == encryption[1]!.GetValue<string>()))
        {
            yield return $"{method} {side}: encryption '{encryption[1]}'";
        }
    }
}
