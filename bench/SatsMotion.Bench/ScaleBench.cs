using System.Diagnostics;
using System.Globalization;
using SatsMotion.Backends.Tests.Scale;
using SatsMotion.Backends.Tests.Video.Replicate;
using SatsMotion.Server.Tests;
using SatsMotion.Testing;

namespace SatsMotion.Bench;

/// <summary>
/// Several server processes on one PostgreSQL and one bucket (s3rver), as deployed beyond one machine: paid flows
/// and finished jobs per second with 1, 2 and 4 worker processes, against a stand-in remote model with a fixed
/// latency (I/O bound) and against the local motion model (CPU bound, on this machine's cores), with how busy the
/// machine's cores were (every process runs on them, so they show when the cores rather than the workers limit); the database
/// statements (round trips) of each step of a paid flow; and SQLite against PostgreSQL for the same flow in one
/// process. Ratios are against the 1-worker run and the SQLite run of the same bench.
/// </summary>
public static class ScaleBench
{
    private const int Jobs = 32;
    private const int Callers = 8;
    private static readonly TimeSpan RemoteLatency = TimeSpan.FromSeconds(3);

    public static async Task RunAsync(string[] args)
    {
        var jobs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : Jobs;
        MissingToolException.Require("scale", "postgresql", Directory.Exists("/usr/lib/postgresql")
            && Directory.EnumerateDirectories("/usr/lib/postgresql").Any(d => File.Exists(Path.Combine(d, "bin", "initdb"))));
        MissingToolException.Require("scale", "s3rver", File.Exists(Path.Combine(RepositoryPaths.Interop, "node_modules", ".bin", "s3rver")));
        await using var postgres = await PostgresServer.StartAsync("shared_preload_libraries=pg_stat_statements");
        await using var s3 = await S3rverProcess.StartAsync();
        await using var provider = new FakeReplicate { Latency = RemoteLatency };
        await provider.StartAsync();
        var storage = Cluster.S3Setting(s3);
        Console.WriteLine($"{Environment.ProcessorCount} cores; {jobs} jobs of 3 s per run, {Callers} concurrent callers; one API process, PostgreSQL, s3rver");

        var scaling = new ResultTable("model", "worker processes", "paid flows/s", "jobs finished/s", "jobs/s vs 1 worker", "machine CPU busy");
        foreach (var (model, label) in new[] { ("remote", $"stand-in remote ({RemoteLatency.TotalSeconds:0} s latency)"), ("motion", "local motion (CPU)") })
        {
            double? baseline = null;
            foreach (var workers in new[] { 1, 2, 4 })
            {
                await using var cluster = await Cluster.CreateAsync(postgres, storage, provider);
                var api = await cluster.StartAsync("api");
                for (var i = 0; i < workers; i++)
                {
                    await cluster.StartAsync("worker");
                }

                var cpu = MachineCpu.Read();
                var (flows, finished) = await RunJobsAsync(cluster, api, model, jobs);
                var busy = MachineCpu.Read().BusySince(cpu);
                baseline ??= finished;
                scaling.Add(label, workers.ToString(CultureInfo.InvariantCulture), F(flows), F(finished), F(finished / baseline.Value) + "x",
                    busy.ToString("P0", CultureInfo.InvariantCulture));
            }
        }

        scaling.Print();
        Console.WriteLine();
        await RoundTripsAsync(postgres, storage, provider);
        Console.WriteLine();
        await SqliteAgainstPostgresAsync(postgres, storage, provider);
    }

    /// <summary>Buys and redeems the jobs (8 callers at once), then waits until every one has finished.</summary>
    private static async Task<(double FlowsPerSecond, double JobsPerSecond)> RunJobsAsync(Cluster cluster, Cluster.Node api, string model, int jobs)
    {
        using var http = api.Http();
        var clock = Stopwatch.StartNew();
        await PaidFlowsAsync(http, model, jobs);
        var flows = clock.Elapsed;
        while (await cluster.ScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE status IN ('COMPLETED', 'FAILED')") < jobs)
        {
            await Task.Delay(50);
        }

        var failed = await cluster.ScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE status = 'FAILED'");
        if (failed > 0)
        {
            Console.WriteLine($"  warning: {failed} of {jobs} {model} jobs FAILED");
        }

        return (jobs / flows.TotalSeconds, jobs / clock.Elapsed.TotalSeconds);
    }

    private static Task PaidFlowsAsync(HttpClient http, string model, int count) =>
        Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = Callers }, async (i, _) =>
        {
            var body = Body(model, i);
            var credential = await Cluster.PayAsync(http, await Cluster.ChallengeAsync(http, body));
            using var response = await Cluster.RedeemAsync(http, body, credential);
            response.EnsureSuccessStatusCode();
        });

    private static string Body(string model, int i) => TestHost.Body($"bench {model} {i} {Guid.NewGuid():N}", duration: 3, modelId: model == "motion" ? null : model);

    /// <summary>
    /// Round trips to the database for each step: the statements it executed (pg_stat_statements counts every one,
    /// BEGIN and COMMIT included), with an API process alone so that no worker adds its own.
    /// </summary>
    private static async Task RoundTripsAsync(PostgresServer postgres, string storage, FakeReplicate provider)
    {
        const int flows = 20;
        await using var cluster = await Cluster.CreateAsync(postgres, storage, provider);
        var api = await cluster.StartAsync("api");
        using var http = api.Http();
        await cluster.ScalarAsync<string>("CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT 'ready'");
        var bodies = Enumerable.Range(0, flows).Select(i => Body("motion", i)).ToList();
        var table = new ResultTable("step of a paid flow", "database round trips per flow");
        var perStep = new List<double>();
        async Task<T[]> StepAsync<T>(string step, Func<int, Task<T>> each)
        {
            await cluster.ScalarAsync<string>("SELECT pg_stat_statements_reset()::text");
            var results = new T[flows];
            for (var i = 0; i < flows; i++)
            {
                results[i] = await each(i);
            }

            // The reset's own SELECT is counted once; Npgsql's reset of a pooled connection (DISCARD ALL) travels with
            // the next statement, in the same round trip.
            var statements = await cluster.ScalarAsync<long>("""
                SELECT COALESCE(SUM(calls), 0) FROM pg_stat_statements
                WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query <> 'DISCARD ALL'
                """) - 1;
            perStep.Add((double)statements / flows);
            table.Add(step, F(perStep[^1]));
            return results;
        }

        var challenges = await StepAsync("1 challenge (402, dev invoice stored)", i => Cluster.ChallengeAsync(http, bodies[i]));
        var credentials = await StepAsync("2 pay (dev wallet settles)", i => Cluster.PayAsync(http, challenges[i]));
        await StepAsync("3 redeem (job created, queued)", async i =>
        {
            using var response = await Cluster.RedeemAsync(http, bodies[i], credentials[i]);
            return response.EnsureSuccessStatusCode().StatusCode;
        });
        await StepAsync("4 replay (the job read back)", async i =>
        {
            using var response = await Cluster.RedeemAsync(http, bodies[i], credentials[i]);
            return response.EnsureSuccessStatusCode().StatusCode;
        });
        table.Add("a paid flow (1 + 2 + 3)", F(perStep.Take(3).Sum()));
        table.Print();
    }

    /// <summary>The same paid flows against one process on SQLite (the default), on PostgreSQL, and with the bucket too; jobs are not run.</summary>
    private static async Task SqliteAgainstPostgresAsync(PostgresServer postgres, string storage, FakeReplicate provider)
    {
        const int flows = 100;
        var table = new ResultTable("one API process", "paid flows/s", "vs SQLite");
        double? sqlite = null;
        foreach (var (label, database, bucket) in new[] { ("SQLite + data directory (default)", false, false), ("PostgreSQL + data directory", true, false), ("PostgreSQL + s3rver bucket", true, true) })
        {
            await using var cluster = await Cluster.CreateAsync(postgres, storage, provider);
            var api = await cluster.StartAsync("api", database, bucket);
            using var http = api.Http();
            await PaidFlowsAsync(http, "motion", 10); // warm-up: JIT, pools
            var clock = Stopwatch.StartNew();
            await PaidFlowsAsync(http, "motion", flows);
            var rate = flows / clock.Elapsed.TotalSeconds;
            sqlite ??= rate;
            table.Add(label, F(rate), F(rate / sqlite.Value) + "x");
        }

        table.Print();
    }

    private static string F(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);
}
