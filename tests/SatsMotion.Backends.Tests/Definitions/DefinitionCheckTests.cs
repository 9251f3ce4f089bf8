using System.Text.Json.Nodes;

namespace SatsMotion.Backends.Tests.Definitions;

/// <summary>The checks against the published definitions find what they are for: each exchange here breaks one rule.</summary>
public sealed class DefinitionCheckTests
{
    private static readonly LndDefinition Lnd = new();
    private static readonly ClnDefinition Cln = new();
    private static readonly Nip47Definition Nip47 = new();

    private const string AddInvoiceAnswer = """{"r_hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","payment_request":"lnbcrt1","add_index":"1","payment_addr":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}""";

    [Fact]
    public void A_well_formed_lnd_exchange_passes() =>
        Assert.Empty(Lnd.Problems(new NodeExchange("POST /v1/invoices", "/v1/invoices", """{"memo":"x","value":"300","expiry":"600","private":true}""", 200, AddInvoiceAnswer)));

    [Theory]
    [InlineData("""{"memo":"x","value":300}""", "value")] // int64 goes as a string
    [InlineData("""{"memo":"x","privat":true}""", "privat")] // a field LND does not have
    public void An_lnd_request_that_breaks_the_swagger_is_found(string request, string field) =>
        Assert.Contains(Lnd.Problems(new NodeExchange("POST /v1/invoices", "/v1/invoices", request, 200, AddInvoiceAnswer)), p => p.Contains(field) || p.Contains("false schema"));

    [Fact]
    public void An_lnd_answer_with_bytes_in_url_safe_base64_is_found() =>
        Assert.NotEmpty(Lnd.Problems(new NodeExchange("POST /v1/invoices", "/v1/invoices", """{"value":"1"}""", 200, AddInvoiceAnswer.Replace("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_8="))));

    [Fact]
    public void An_lnd_error_with_the_wrong_status_for_its_code_is_found() =>
        Assert.Contains(Lnd.Problems(new NodeExchange("GET /v1/invoice/{hash}", "/v1/invoice/00", null, 500, """{"code":5,"message":"unable to locate invoice","details":[]}""")),
            p => p.Contains("status grpc-gateway gives"));

    [Fact]
    public void A_stream_refusal_in_the_unary_shape_is_found()
    {
        // What FakeLndNode answered before: the unary shape, which a streaming call never uses.
        var unary = new NodeExchange("POST /v2/router/send", "/v2/router/send", """{"payment_request":"lnbcrt1"}""", 500, """{"code":2,"message":"permission denied","details":[]}""");
        Assert.NotEmpty(Lnd.Problems(unary));
        Assert.Empty(Lnd.Problems(unary with { Response = """{"error":{"code":2,"message":"permission denied","details":[]}}""" + "\n" }));
    }

    [Fact]
    public void An_lnd_query_parameter_that_is_not_declared_is_found() =>
        Assert.Contains(Lnd.Problems(new NodeExchange("GET /v1/invoices", "/v1/invoices?limit=1", null, 200, """{"invoices":[]}""")), p => p.Contains("'limit'"));

    [Fact]
    public void A_cln_answer_with_an_amount_as_text_is_found()
    {
        var answer = """{"invoices":[{"label":"a","payment_hash":"%h","status":"unpaid","expires_at":1,"created_index":1,"amount_msat":"1000msat"}]}""".Replace("%h", new string('a', 64));
        Assert.Empty(Cln.Problems(new NodeExchange("POST /v1/{method}", "/v1/listinvoices", """{"payment_hash":"00"}""", 201, answer.Replace("\"1000msat\"", "1000"))));
        Assert.Contains(Cln.Problems(new NodeExchange("POST /v1/{method}", "/v1/listinvoices", """{"payment_hash":"00"}""", 201, answer)), p => p.Contains("amount_msat"));
    }

    [Fact]
    public void A_cln_request_parameter_the_rpc_does_not_take_is_found() =>
        Assert.NotEmpty(Cln.Problems(new NodeExchange("POST /v1/{method}", "/v1/pay", """{"bolt11":"lnbcrt1","max_fee":1000}""", 500, """{"code":-32602,"message":"x","data":null}""")));

    [Fact]
    public void A_cln_error_with_a_status_clnrest_never_gives_is_found() =>
        Assert.NotEmpty(Cln.Problems(new NodeExchange("POST /v1/{method}", "/v1/getinfo", null, 500, """{"code":-32601,"message":"Unknown command","data":null}""")));

    private static JsonNode Entry(string result, string error = "null", string replyTags = """[["p","c"],["e","r"]]""", int requestKind = 23194, int replyKind = 23195) => new JsonObject
    {
        ["infoKind"] = 13194,
        ["request"] = new JsonObject { ["method"] = "lookup_invoice", ["params"] = new JsonObject { ["payment_hash"] = new string('a', 64) } },
        ["requestKind"] = requestKind,
        ["requestTags"] = JsonNode.Parse("""[["p","w"],["encryption","nip44_v2"]]"""),
        ["reply"] = new JsonObject { ["result_type"] = "lookup_invoice", ["error"] = JsonNode.Parse(error), ["result"] = JsonNode.Parse(result) },
        ["replyKind"] = replyKind,
        ["replyTags"] = JsonNode.Parse(replyTags),
    };

    private static readonly string Transaction = """{"type":"incoming","payment_hash":"HASH","amount":21000,"created_at":1,"state":"pending"}""".Replace("HASH", new string('a', 64));

    [Fact]
    public void A_nip47_exchange_that_fits_passes() => Assert.Empty(Nip47.Problems(Entry(Transaction)));

    [Fact]
    public void A_nip47_amount_as_text_is_found() => Assert.NotEmpty(Nip47.Problems(Entry(Transaction.Replace("21000", "\"21000\""))));

    [Fact]
    public void A_nip47_error_code_the_method_does_not_have_is_found() =>
        Assert.Contains(Nip47.Problems(Entry("null", """{"code":"PAYMENT_FAILED","message":"x"}""")), p => p.Contains("PAYMENT_FAILED"));

    [Theory]
    [InlineData(23195, 23195)] // a request sent as a reply
    [InlineData(23194, 23197)] // a reply sent as a notification
    public void A_nip47_event_of_another_kind_is_found(int requestKind, int replyKind) =>
        Assert.Contains(Nip47.Problems(Entry(Transaction, requestKind: requestKind, replyKind: replyKind)), p => p.Contains("kind"));

    [Fact]
    public void A_nip47_journal_without_the_request_kind_is_found()
    {
        var entry = Entry(Transaction).AsObject();
        entry.Remove("requestKind");
        Assert.Contains(Nip47.Problems(entry), p => p.Contains("not recorded"));
    }

    [Fact]
    public void A_nip47_reply_without_its_e_tag_is_found() => Assert.Contains(Nip47.Problems(Entry(Transaction, replyTags: """[["p","c"]]""")), p => p.Contains("'e'"));
}
