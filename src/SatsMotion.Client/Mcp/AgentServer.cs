using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SatsMotion.Client.Mcp;

/// <summary>
/// `satsmotion mcp`: an MCP server on standard input and output for an agent, against the server of the user's
/// choice. With a budget it also offers animate_image, which pays with the configured wallet. Logs go to standard
/// error: standard output carries the protocol.
/// </summary>
public static class AgentServer
{
    public static async Task RunAsync(ServerApi api, PaymentFetcher fetcher, SessionBudget? budget, CancellationToken cancellationToken)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(api);
        var mcp = builder.Services.AddMcpServer(server => server.ServerInfo = new() { Name = "satsmotion", Version = "1.0" })
            .WithStdioServerTransport()
            .WithTools<AgentTools>();
        if (budget is not null)
        {
            builder.Services.AddSingleton(fetcher);
            builder.Services.AddSingleton(budget);
            mcp.WithTools<WalletTools>();
        }

        await builder.Build().RunAsync(cancellationToken);
    }
}
