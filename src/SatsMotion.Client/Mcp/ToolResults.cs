using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;

namespace SatsMotion.Client.Mcp;

/// <summary>Tool answers as JSON text; a refusal is a tool error carrying the server's (or our) error code and hint.</summary>
public static class ToolResults
{
    public static CallToolResult Ok(JsonNode result) => new() { Content = [new TextContentBlock { Text = result.ToJsonString() }] };

    public static CallToolResult Error(JsonNode error) => new() { IsError = true, Content = [new TextContentBlock { Text = error.ToJsonString() }] };

    public static CallToolResult Error(string code, string message, string hint) =>
        Error(new JsonObject { ["error"] = message, ["error_code"] = code, ["hint"] = hint });

    public static async Task<CallToolResult> GuardAsync(Func<Task<CallToolResult>> call)
    {
        try
        {
            return await call();
        }
        catch (ClientException e)
        {
            return Error(e.Exit switch
            {
                ClientExit.BadInput or ClientExit.Usage => "INVALID_INPUT",
                ClientExit.PriceRefused => "BUDGET_EXCEEDED",
                ClientExit.PaymentFailed => "PAYMENT_FAILED",
                ClientExit.JobFailed => "JOB_FAILED",
                _ => "SERVER_ERROR",
            }, e.Message, "nothing was paid unless the message says so");
        }
    }
}
