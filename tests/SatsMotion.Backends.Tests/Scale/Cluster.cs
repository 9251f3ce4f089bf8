using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using SatsMotion.Backends.Tests.Video.Replicate;
using SatsMotion.Server.Tests;
using SatsMotion.Testing;

namespace SatsMotion.Backends.Tests.Scale;

/// <summary>
/// The parts several servers share, started once for the collection: a real PostgreSQL from Debian's package,
/// s3rver from npm standing in for S3 (S3 and MinIO cannot run here; s3rver answers the same REST API), and a fake
/// Replicate (its published HTTP API) as the remote model whose jobs a dead worker must re-attach to.
/// </summary>
public sealed class SharedStores : IAsyncLifetime
{
    public PostgresServer Postgres { get; private set; } = null!;

    public S3rverProcess S3 { get; private set; } = null!;

    public FakeReplicate Provider { get; } = new();

    public string Storage(bool presign = false) => Cluster.S3Setting(S3, presign);

    public async Task InitializeAsync()
    {
        Postgres = await PostgresServer.StartAsync();
        S3 = await S3rverProcess.StartAsync();
        await Provider.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Provider.DisposeAsync();
        await S3.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<SharedStores>
{
    public const string Name = "cluster";
}

/// <summary>Server processes on one database and one bucket, each with its own port, data directory and role.</summary>
public sealed class Cluster : IAsyncDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("satsmotion-cluster-").FullName;
    private readonly string _settings;
    private readonly List<Node> _nodes = [];

    private Cluster(string database, string storage, FakeReplicate provider, TimeSpan lease, int workers)
    {
        Database = database;
        Storage = storage;
        _settings = Path.Combine(_work, "settings.json");
        File.WriteAllText(_settings, new JsonObject
        {
            ["SatsMotion"] = new JsonObject
            {
                ["JobLease"] = lease.ToString(),
                ["Workers"] = workers,

                // One test client plays many callers.
                ["RateLimits"] = new JsonObject { ["ChallengesPerMinute"] = 0, ["RedemptionsPerMinute"] = 0, ["InvoicePollsPerMinute"] = 0 },
                ["Models"] = provider.MotionAndRemoteModels(),
            },
        }.ToJsonString());
    }

    public string Database { get; }

    public string Storage { get; }

    public static Task<Cluster> CreateAsync(SharedStores stores, TimeSpan? lease = null, int workers = 1, bool presign = false, string? database = null) =>
        CreateAsync(stores.Postgres, stores.Storage(presign), stores.Provider, lease, workers, database);

    /// <summary>A cluster on a new database of <paramref name="postgres"/> (or the given one) and the bucket of <paramref name="storage"/>.</summary>
    public static async Task<Cluster> CreateAsync(PostgresServer postgres, string storage, FakeReplicate provider, TimeSpan? lease = null, int workers = 1, string? database = null) =>
        new(database ?? await postgres.CreateDatabaseAsync(), storage, provider, lease ?? TimeSpan.FromSeconds(30), workers);

    /// <summary>
    /// Starts one server process with the role (api, worker or all), on the shared database and bucket; without
    /// <paramref name="database"/> or <paramref name="bucket"/>, on its own SQLite or data directory (the defaults).
    /// </summary>
    public async Task<Node> StartAsync(string role, bool database = true, bool bucket = true)
    {
        var address = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}");
        var start = new ProcessStartInfo("dotnet",
            [typeof(Program).Assembly.Location, "--data", Path.Combine(_work, $"node{_nodes.Count}"), "--urls", address.GetLeftPart(UriPartial.Authority), "--role", role, "--config", _settings]);
        if (database)
        {
            start.Environment["SATSMOTION_DATABASE"] = Database;
        }

        if (bucket)
        {
            start.Environment["SATSMOTION_STORAGE"] = Storage;
        }

        var node = new Node(role, address, await ServerProcess.StartAsync(start, address, TimeSpan.FromSeconds(30)));
        _nodes.Add(node);
        return node;
    }

    /// <summary>The database's S3 setting for this s3rver (path-style, its fixed keys).</summary>
    public static string S3Setting(S3rverProcess s3, bool presign = false) =>
        $"type=s3;endpoint={s3.Endpoint};bucket={s3.Bucket};accesskey={s3.AccessKey};secretkey={s3.SecretKey};region=us-east-1;pathstyle=true;presign={(presign ? "true" : "false")}";

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.Process.DisposeAsync();
        }

        NpgsqlConnection.ClearAllPools();
        Directory.Delete(_work, true);
    }

    public sealed record Node(string Role, Uri Address, ServerProcess Process)
    {
        public HttpClient Http() => new() { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(100) };

        /// <summary>Kills the process and returns all it printed.</summary>
        public Task<string> KillAsync() => Process.StopAsync();
    }

    /// <summary>A 402 challenge for the body (from this node).</summary>
    public static async Task<JsonNode> ChallengeAsync(HttpClient http, string body)
    {
        using var response = await http.PostAsync("/api/l402/animate-image", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.PaymentRequired, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
    }

    /// <summary>Pays the challenge's invoice with the dev wallet of this node; returns the credential.</summary>
    public static async Task<string> PayAsync(HttpClient http, JsonNode challenge)
    {
        using var paid = await http.PostAsJsonAsync("/api/dev/pay", new { invoice = challenge["invoice"]!.GetValue<string>() });
        paid.EnsureSuccessStatusCode();
        var preimage = (await paid.Content.ReadFromJsonAsync<JsonNode>())!["preimage"]!.GetValue<string>();
        return TestHost.Credential(challenge["macaroon"]!.GetValue<string>(), preimage);
    }

    public static async Task<HttpResponseMessage> RedeemAsync(HttpClient http, string body, string credential, string prefer = "respond-async")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/l402/animate-image") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", credential);
        request.Headers.Add("Prefer", prefer);
        return await http.SendAsync(request);
    }

    public static async Task<JsonNode> JobAsync(HttpClient http, string jobId) => (await http.GetFromJsonAsync<JsonNode>($"/api/l402/jobs/{jobId}"))!;

    public static async Task<JsonNode> WaitForJobAsync(HttpClient http, string jobId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (true)
        {
            var job = await JobAsync(http, jobId);
            if (job["status"]!.GetValue<string>() is "COMPLETED" or "FAILED")
            {
                return job;
            }

            Assert.True(DateTime.UtcNow < deadline, $"job {jobId} did not finish: {job.ToJsonString()}");
            await Task.Delay(100);
        }
    }
}
