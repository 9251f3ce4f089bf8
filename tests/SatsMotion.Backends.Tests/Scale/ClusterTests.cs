using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;
using SatsMotion.Backends.Tests.Video;
using SatsMotion.Server.Jobs;
using SatsMotion.Server.Storage;
using SatsMotion.Server.Storage.Local;
using SatsMotion.Server.Storage.Postgres;
using SatsMotion.Server.Storage.S3;
using SatsMotion.Server.Tests;
using SatsMotion.Testing;

namespace SatsMotion.Backends.Tests.Scale;

/// <summary>
/// Several server processes on one PostgreSQL database and one bucket: a challenge minted on one server is paid
/// and redeemed on another; jobs are shared by workers, each run exactly once; a killed worker's job is taken over
/// (a remote one re-attached, not paid twice); a token redeemed at once on two servers yields one job; an old
/// schema is migrated; the bucket or the database going away gives a clear 503 and loses nothing.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class ClusterTests(SharedStores stores)
{
    private static string MotionBody(string prompt) => TestHost.Body(prompt, duration: 3);

    private static string RemoteBody(string prompt) => TestHost.Body(prompt, duration: 3, modelId: "remote");

    private static async Task<string> JobIdAsync(HttpResponseMessage response)
    {
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!["jobId"]!.GetValue<string>();
    }

    private static int Completions(string output, string jobId) => Completed().Matches(output).Count(m => m.Groups[1].Value == jobId);

    [Fact]
    public async Task A_challenge_minted_on_one_server_is_redeemed_on_another_which_waits_for_a_worker_on_a_third()
    {
        await using var cluster = await Cluster.CreateAsync(stores);
        var a = await cluster.StartAsync("api");
        var b = await cluster.StartAsync("api");
        var worker = await cluster.StartAsync("worker");
        using var httpA = a.Http();
        using var httpB = b.Http();
        var body = MotionBody("zoom in slowly");

        var challenge = await Cluster.ChallengeAsync(httpA, body);
        var credential = await Cluster.PayAsync(httpB, challenge);
        using var redeemed = await Cluster.RedeemAsync(httpB, body, credential, prefer: "wait=60");
        var answered = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.OK, redeemed.StatusCode);
        var job = (await redeemed.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal("COMPLETED", job["status"]!.GetValue<string>());

        // B heard of the worker's finish by NOTIFY: its re-read of the store comes every 2 s, so without it the answer would mostly be later.
        Assert.True(answered - DateTimeOffset.Parse(job["completed_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) < TimeSpan.FromSeconds(0.75));

        // Any server serves the video from the bucket, with ranges.
        var path = new Uri(job["videoUrl"]!.GetValue<string>()).PathAndQuery;
        var video = await httpA.GetByteArrayAsync(path);
        var file = Path.Combine(Path.GetTempPath(), $"cluster-{Guid.NewGuid():N}.mp4");
        await File.WriteAllBytesAsync(file, video);
        Assert.Equal(3, (await Ffprobe.ProbeAsync(file)).DurationSeconds, 0.5);
        File.Delete(file);
        using var ranged = new HttpRequestMessage(HttpMethod.Get, path);
        ranged.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(100, 199);
        using var part = await httpB.SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(video.AsSpan(100, 100).ToArray(), await part.Content.ReadAsByteArrayAsync());

        // The worker serves no API; the API servers run no job.
        using var workerHttp = worker.Http();
        Assert.Equal(HttpStatusCode.NotFound, (await workerHttp.GetAsync("/api/l402/animate-image")).StatusCode);
        var jobId = job["jobId"]!.GetValue<string>();
        Assert.Equal(1, Completions(await worker.KillAsync(), jobId));
        Assert.Equal(0, Completions(await a.KillAsync() + await b.KillAsync(), jobId));
    }

    [Fact]
    public async Task A_hundred_paid_jobs_over_three_workers_are_each_run_exactly_once()
    {
        await using var cluster = await Cluster.CreateAsync(stores);
        var api = await cluster.StartAsync("api");
        var workers = new[] { await cluster.StartAsync("worker"), await cluster.StartAsync("worker"), await cluster.StartAsync("worker") };
        using var http = api.Http();
        var submitted = stores.Provider.Submissions;

        var jobIds = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 100), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var body = RemoteBody($"wave {i}");
            var credential = await Cluster.PayAsync(http, await Cluster.ChallengeAsync(http, body));
            using var response = await Cluster.RedeemAsync(http, body, credential);
            jobIds.Add(await JobIdAsync(response));
        });

        Assert.Equal(100, jobIds.Distinct().Count());
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (await cluster.ScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE status = 'COMPLETED'") < 100)
        {
            Assert.True(DateTime.UtcNow < deadline, "the jobs did not all complete");
            await Task.Delay(200);
        }

        Assert.Equal(100, stores.Provider.Submissions - submitted);
        var outputs = new List<string>();
        foreach (var worker in workers)
        {
            outputs.Add(await worker.KillAsync());
        }

        Assert.All(jobIds, id => Assert.Equal(1, outputs.Sum(o => Completions(o, id))));
        Assert.All(outputs, o => Assert.NotEmpty(Completed().Matches(o)));
    }

    [Fact]
    public async Task A_worker_killed_in_the_middle_of_a_remote_job_loses_it_to_another_which_re_attaches()
    {
        await using var cluster = await Cluster.CreateAsync(stores, lease: TimeSpan.FromSeconds(3));
        var api = await cluster.StartAsync("api");
        var workers = new[] { await cluster.StartAsync("worker"), await cluster.StartAsync("worker") };
        using var http = api.Http();
        stores.Provider.Mode = ProviderMode.Hold;
        try
        {
            var body = RemoteBody("turn the head");
            var credential = await Cluster.PayAsync(http, await Cluster.ChallengeAsync(http, body));
            using var response = await Cluster.RedeemAsync(http, body, credential);
            var jobId = await JobIdAsync(response);
            await VideoProviderScenarios<Video.Replicate.FakeReplicate>.WaitForProgressAsync(http, jobId);
            var submitted = stores.Provider.Submissions;

            var owner = await cluster.ScalarAsync<string>($"SELECT lease_owner FROM jobs WHERE id = '{jobId}'");
            var victim = workers.Single(w => owner.Contains($"/{w.Process.ProcessId}/", StringComparison.Ordinal));
            var survivor = workers.Single(w => w != victim);
            var victimOutput = await victim.KillAsync();
            stores.Provider.Mode = ProviderMode.Normal;

            var job = await Cluster.WaitForJobAsync(http, jobId, TimeSpan.FromSeconds(60));
            Assert.Equal("COMPLETED", job["status"]!.GetValue<string>());
            Assert.Equal(submitted, stores.Provider.Submissions);
            var survivorOutput = await survivor.KillAsync();
            Assert.Equal(0, Completions(victimOutput, jobId));
            Assert.Equal(1, Completions(survivorOutput, jobId));
            Assert.Contains("re-attaching to remote job", survivorOutput);
        }
        finally
        {
            stores.Provider.Mode = ProviderMode.Normal;
        }
    }

    [Fact]
    public async Task A_failed_job_is_retried_by_its_paid_token_on_another_server()
    {
        await using var cluster = await Cluster.CreateAsync(stores);
        var a = await cluster.StartAsync("all");
        var b = await cluster.StartAsync("api");
        using var httpA = a.Http();
        using var httpB = b.Http();
        var body = RemoteBody("nod");
        var credential = await Cluster.PayAsync(httpA, await Cluster.ChallengeAsync(httpA, body));
        stores.Provider.Mode = ProviderMode.Fail;
        string jobId;
        try
        {
            using var failing = await Cluster.RedeemAsync(httpA, body, credential);
            jobId = await JobIdAsync(failing);
            var failed = await Cluster.WaitForJobAsync(httpB, jobId);
            Assert.Equal(("FAILED", "PROVIDER_FAILED"), (failed["status"]!.GetValue<string>(), failed["reason_code"]!.GetValue<string>()));
            Assert.Equal(1, await cluster.ScalarAsync<long>($"SELECT attempts FROM jobs WHERE id = '{jobId}'")); // a provider's verdict is not rerun
        }
        finally
        {
            stores.Provider.Mode = ProviderMode.Normal;
        }

        using var retried = await Cluster.RedeemAsync(httpB, body, credential, prefer: "wait=60");
        var job = (await retried.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal((jobId, "COMPLETED"), (job["jobId"]!.GetValue<string>(), job["status"]!.GetValue<string>()));
        Assert.Equal(1, await cluster.ScalarAsync<long>("SELECT COUNT(*) FROM jobs"));
    }

    [Fact]
    public async Task One_token_redeemed_at_once_on_two_servers_yields_one_job()
    {
        await using var cluster = await Cluster.CreateAsync(stores);
        var a = await cluster.StartAsync("api");
        var b = await cluster.StartAsync("api");
        using var httpA = a.Http();
        using var httpB = b.Http();
        var body = MotionBody("pan left");
        var credential = await Cluster.PayAsync(httpA, await Cluster.ChallengeAsync(httpB, body));

        var ids = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            using var response = await Cluster.RedeemAsync(i % 2 == 0 ? httpA : httpB, body, credential);
            return await JobIdAsync(response);
        }));

        Assert.Single(ids.Distinct());
        Assert.Equal(1, await cluster.ScalarAsync<long>("SELECT COUNT(*) FROM jobs"));
    }

    [Fact]
    public async Task A_server_started_against_an_old_schema_migrates_it_and_keeps_its_rows()
    {
        var database = await stores.Postgres.CreateDatabaseAsync();
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();

            // The tables of schema step 1, without schema_migrations: as a database made before migrations were recorded.
            await using var command = new NpgsqlCommand("""
                CREATE TABLE jobs (id TEXT PRIMARY KEY, token_id TEXT NOT NULL UNIQUE, payment_hash TEXT NOT NULL, request_hash TEXT NOT NULL,
                    model TEXT NOT NULL, duration INTEGER NOT NULL, prompt TEXT NOT NULL, price_sats BIGINT NOT NULL, status TEXT NOT NULL,
                    progress DOUBLE PRECISION NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0, error TEXT NULL, video_name TEXT NOT NULL,
                    width INTEGER NULL, height INTEGER NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, completed_at BIGINT NULL, expired_at BIGINT NULL);
                CREATE TABLE revoked_tokens (token_id TEXT PRIMARY KEY, reason TEXT NOT NULL, revoked_at BIGINT NOT NULL);
                CREATE TABLE dev_invoices (payment_hash TEXT PRIMARY KEY, payment_request TEXT NOT NULL, preimage TEXT NOT NULL,
                    amount_msat BIGINT NOT NULL, expires_at BIGINT NOT NULL, settled_at BIGINT NULL);
                INSERT INTO jobs (id, token_id, payment_hash, request_hash, model, duration, prompt, price_sats, status, video_name, width, height, created_at, updated_at, completed_at)
                    VALUES ('0123456789abcdef0123456789abcdef', 't1', 'h1', 'r1', 'motion', 5, 'zoom in', 500, 'COMPLETED', 'v1', 1280, 720, 1, 2, 2);
                """, connection);
            await command.ExecuteNonQueryAsync();
        }

        await using var cluster = await Cluster.CreateAsync(stores, database: database);
        var server = await cluster.StartAsync("all");
        Assert.Equal(PostgresSchema.Latest, await cluster.ScalarAsync<long>("SELECT COUNT(*) FROM schema_migrations"));
        Assert.Equal(1, await cluster.ScalarAsync<long>("SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'jobs' AND column_name = 'lease_owner'"));
        using var http = server.Http();
        var job = await Cluster.JobAsync(http, "0123456789abcdef0123456789abcdef");
        Assert.Equal(("COMPLETED", 500L), (job["status"]!.GetValue<string>(), job["price_sats"]!.GetValue<long>()));

        // And the migrated database takes new paid work.
        var body = MotionBody("tilt up");
        using var response = await Cluster.RedeemAsync(http, body, await Cluster.PayAsync(http, await Cluster.ChallengeAsync(http, body)), prefer: "wait=60");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Servers_migrating_one_database_at_once_apply_each_step_once()
    {
        await using var source = NpgsqlDataSource.Create(await stores.Postgres.CreateDatabaseAsync());

        // As many servers starting together: each its own connection and transaction; the advisory lock queues them.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            await using var connection = await source.OpenConnectionAsync();
            await PostgresSchema.ApplyAsync(connection, CancellationToken.None);
        }));

        await using var check = await source.OpenConnectionAsync();
        await using var versions = new NpgsqlCommand("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations", check);
        Assert.Equal(string.Join(',', Enumerable.Range(1, PostgresSchema.Latest)), (string?)await versions.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Leases_and_retry_times_are_read_on_the_database_clock_so_a_server_whose_clock_runs_ahead_takes_nothing_early()
    {
        await using var database = new PostgresDatabase(await stores.Postgres.CreateDatabaseAsync());
        await database.MigrateAsync(CancellationToken.None);
        var data = new DataDirectory(Directory.CreateTempSubdirectory("db-clock-").FullName);
        var ahead = new ManualClock();
        ahead.Advance(TimeSpan.FromHours(2)); // this machine's clock is two hours fast
        var jobs = new JobStore(database, new LocalBlobStore(data), TimeProvider.System);
        var skewedJobs = new JobStore(database, new LocalBlobStore(data), ahead);
        var (job, _) = await jobs.CreateOnceAsync(new NewJob("token-clock", "hash", "request", "motion", 3, "nod", 300, "https://hooks.example.com/x"), new byte[] { 1 }, CancellationToken.None);
        Assert.Equal(job.Id, (await jobs.ClaimNextAsync("w1", TimeSpan.FromMinutes(1), CancellationToken.None))!.Id);
        Assert.Null(await skewedJobs.ClaimNextAsync("w2", TimeSpan.FromMinutes(1), CancellationToken.None));
        Assert.True(await jobs.CompleteAsync(job.Id, "w1", 640, 360, CancellationToken.None));

        var outbox = new SatsMotion.Server.Callbacks.WebhookOutbox(database, TimeProvider.System);
        var skewedOutbox = new SatsMotion.Server.Callbacks.WebhookOutbox(database, ahead);
        var delivery = (await outbox.ClaimDueAsync("s1", TimeSpan.FromMinutes(1), CancellationToken.None))!;
        Assert.Equal(job.Id, delivery.JobId);
        Assert.Null(await skewedOutbox.ClaimDueAsync("s2", TimeSpan.FromMinutes(1), CancellationToken.None));
        Assert.False(await outbox.RecordFailedAsync(delivery.Id, "s1", 500, "the receiver answered 500", TimeSpan.FromMinutes(1), TimeSpan.FromHours(25), CancellationToken.None));
        Assert.Null(await skewedOutbox.ClaimDueAsync("s2", TimeSpan.FromMinutes(1), CancellationToken.None));
        Directory.Delete(data.Root, true);
    }

    [Fact]
    public async Task A_delivery_queued_by_a_server_whose_clock_runs_ahead_is_due_at_once_and_its_age_is_read_on_the_database_clock()
    {
        await using var database = new PostgresDatabase(await stores.Postgres.CreateDatabaseAsync());
        await database.MigrateAsync(CancellationToken.None);
        var data = new DataDirectory(Directory.CreateTempSubdirectory("db-clock-enqueue-").FullName);
        var ahead = new ManualClock();
        ahead.Advance(TimeSpan.FromHours(2)); // this machine's clock is two hours fast
        var skewedJobs = new JobStore(database, new LocalBlobStore(data), ahead);
        var (job, _) = await skewedJobs.CreateOnceAsync(new NewJob("token-enqueue", "hash", "request", "motion", 3, "nod", 300, "https://hooks.example.com/x"), new byte[] { 1 }, CancellationToken.None);
        Assert.Equal(job.Id, (await skewedJobs.ClaimNextAsync("w-ahead", TimeSpan.FromMinutes(1), CancellationToken.None))!.Id);
        Assert.True(await skewedJobs.CompleteAsync(job.Id, "w-ahead", 640, 360, CancellationToken.None)); // the event is queued on the fast server

        // Due now for a server on time: the first delivery is not held back by the other's skew.
        var outbox = new SatsMotion.Server.Callbacks.WebhookOutbox(database, TimeProvider.System);
        var delivery = await outbox.ClaimDueAsync("s-on-time", TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.NotNull(delivery);
        Assert.InRange(delivery.CreatedAt, DateTimeOffset.UtcNow - TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow + TimeSpan.FromMinutes(5));
        Assert.False(await outbox.RecordFailedAsync(delivery.Id, "s-on-time", 500, "the receiver answered 500", TimeSpan.Zero, TimeSpan.FromHours(1), CancellationToken.None));

        // The fast server fails an attempt of a minute-old delivery with an hour to retry: on its own clock the delivery
        // would look two hours old and be given up; on the database's it is not.
        var skewedOutbox = new SatsMotion.Server.Callbacks.WebhookOutbox(database, ahead);
        var again = (await skewedOutbox.ClaimDueAsync("s-ahead", TimeSpan.FromMinutes(1), CancellationToken.None))!;
        Assert.Equal(delivery.Id, again.Id);
        Assert.False(await skewedOutbox.RecordFailedAsync(again.Id, "s-ahead", 500, "the receiver answered 500", TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), CancellationToken.None));
        Assert.Null((await outbox.ListForJobAsync(job.Id, CancellationToken.None)).Single().GaveUpAt);
        Directory.Delete(data.Root, true);
    }

    [Fact]
    public async Task A_paid_retry_racing_the_refund_offer_of_its_failure_never_leaves_both()
    {
        await using var database = new PostgresDatabase(await stores.Postgres.CreateDatabaseAsync());
        await database.MigrateAsync(CancellationToken.None);
        var data = new DataDirectory(Directory.CreateTempSubdirectory("refund-race-").FullName);
        var jobs = new JobStore(database, new LocalBlobStore(data), TimeProvider.System);
        var refunds = new RefundStore(database, TimeProvider.System);
        for (var i = 0; i < 100; i++)
        {
            var (job, _) = await jobs.CreateOnceAsync(new NewJob($"token-{i}", "hash", "request", "remote", 3, "nod", 300), new byte[] { 1 }, CancellationToken.None);
            Assert.Equal(job.Id, (await jobs.ClaimNextAsync("w", TimeSpan.FromMinutes(1), CancellationToken.None))!.Id);
            await jobs.RecordFailureAsync(job.Id, "w", "PROVIDER_FAILED", "refused", retry: false, CancellationToken.None);

            // The worker offers the refund of the failure while the caller's retry comes in on another server.
            var offer = Task.Run(() => refunds.OfferAsync(job.Id, 300_000, TimeSpan.FromDays(1), CancellationToken.None));
            var retry = Task.Run(() => jobs.RetryFailedAsync(job.Id, new byte[] { 1 }, CancellationToken.None));
            await offer;
            Assert.Equal(RetryOutcome.Retried, await retry);
            Assert.NotEqual(RefundStatus.Available, (await refunds.FindByJobAsync(job.Id, CancellationToken.None))?.Status);

            // The retried job runs and completes, leaving the queue empty for the next round.
            Assert.True(await jobs.CompleteAsync((await jobs.ClaimNextAsync("w", TimeSpan.FromMinutes(1), CancellationToken.None))!.Id, "w", 640, 360, CancellationToken.None));
        }

        Directory.Delete(data.Root, true);
    }

    [Fact]
    public async Task Two_refunds_claimed_at_once_with_one_invoice_on_two_servers_start_one_claim()
    {
        await using var database = new PostgresDatabase(await stores.Postgres.CreateDatabaseAsync());
        await database.MigrateAsync(CancellationToken.None);
        var data = new DataDirectory(Directory.CreateTempSubdirectory("refund-hash-race-").FullName);
        var jobs = new JobStore(database, new LocalBlobStore(data), TimeProvider.System);
        var refunds = new RefundStore(database, TimeProvider.System);
        async Task<Refund> RefundAsync(string token)
        {
            var (job, _) = await jobs.CreateOnceAsync(new NewJob(token, "hash", "request", "remote", 3, "nod", 300), new byte[] { 1 }, CancellationToken.None);
            Assert.Equal(job.Id, (await jobs.ClaimNextAsync("w", TimeSpan.FromMinutes(1), CancellationToken.None))!.Id);
            await jobs.RecordFailureAsync(job.Id, "w", "PROVIDER_FAILED", "refused", retry: false, CancellationToken.None);
            return (await refunds.OfferAsync(job.Id, 300_000, TimeSpan.FromDays(1), CancellationToken.None))!;
        }

        for (var i = 0; i < 50; i++)
        {
            // Each server's NOT EXISTS sees no claim of the hash yet; the unique index lets one of them through.
            var (a, b) = (await RefundAsync($"a-{i}"), await RefundAsync($"b-{i}"));
            var hash = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            var starts = await Task.WhenAll(new[] { a, b }.Select(r => Task.Run(() => refunds.BeginClaimAsync(r.K1, "lnbcrt1", hash, CancellationToken.None))));
            Assert.Equal([ClaimStart.Started, ClaimStart.InvoiceInUse], starts.Order());
        }

        Directory.Delete(data.Root, true);
    }

    [Fact]
    public async Task With_the_bucket_unreachable_callers_get_a_clear_503_and_nothing_is_lost()
    {
        await using var cluster = await Cluster.CreateAsync(stores);
        var server = await cluster.StartAsync("all");
        using var http = server.Http();
        var first = MotionBody("zoom out");
        using var done = await Cluster.RedeemAsync(http, first, await Cluster.PayAsync(http, await Cluster.ChallengeAsync(http, first)), prefer: "wait=60");
        var videoPath = new Uri((await done.Content.ReadFromJsonAsync<JsonNode>())!["videoUrl"]!.GetValue<string>()).PathAndQuery;
        var body = MotionBody("pan right");
        var credential = await Cluster.PayAsync(http, await Cluster.ChallengeAsync(http, body));

        await stores.S3.StopAsync();
        try
        {
            using var refused = await Cluster.RedeemAsync(http, body, credential);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
            Assert.Equal("STORAGE_UNAVAILABLE", (await refused.Content.ReadFromJsonAsync<JsonNode>())!["error_code"]!.GetValue<string>());
            Assert.Equal(1, await cluster.ScalarAsync<long>("SELECT COUNT(*) FROM jobs"));

            using var video = await http.GetAsync(videoPath);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, video.StatusCode);
            using var ready = await http.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("unhealthy", (await ready.Content.ReadFromJsonAsync<JsonNode>())!["checks"]!["video-storage"]!["status"]!.GetValue<string>());
        }
        finally
        {
            await stores.S3.StartAgainAsync();
        }

        // The same paid token now gets its video, and the first video is served again.
        using var redeemed = await Cluster.RedeemAsync(http, body, credential, prefer: "wait=60");
        Assert.Equal("COMPLETED", (await redeemed.Content.ReadFromJsonAsync<JsonNode>())!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(videoPath)).StatusCode);
    }

    [Fact]
    public async Task A_worker_whose_bucket_is_away_hands_the_job_back_without_using_an_attempt_and_finishes_it_later()
    {
        await using var cluster = await Cluster.CreateAsync(stores);
        var api = await cluster.StartAsync("api");
        using var http = api.Http();
        var body = MotionBody("sway");
        using var queued = await Cluster.RedeemAsync(http, body, await Cluster.PayAsync(http, await Cluster.ChallengeAsync(http, body)));
        var jobId = await JobIdAsync(queued);

        await stores.S3.StopAsync();
        Cluster.Node worker;
        try
        {
            worker = await cluster.StartAsync("worker");
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            // Claimed (which touches the row), then handed back to the queue.
            while (await cluster.ScalarAsync<long>($"SELECT COUNT(*) FROM jobs WHERE id = '{jobId}' AND status = 'QUEUED' AND updated_at > created_at") == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the worker never handed the job back");
                await Task.Delay(100);
            }
        }
        finally
        {
            await stores.S3.StartAgainAsync();
        }

        var job = await Cluster.WaitForJobAsync(http, jobId, TimeSpan.FromSeconds(60));
        Assert.Equal("COMPLETED", job["status"]!.GetValue<string>());
        Assert.Equal(1, await cluster.ScalarAsync<long>($"SELECT attempts FROM jobs WHERE id = '{jobId}'"));
        Assert.Contains("the blob store is unavailable", await worker.KillAsync());
    }

    [Fact]
    public async Task A_job_whose_image_is_gone_from_the_bucket_fails_without_holding_the_queue_and_its_paid_retry_stores_it_again()
    {
        await using var cluster = await Cluster.CreateAsync(stores);
        var api = await cluster.StartAsync("api");
        using var http = api.Http();
        var lost = MotionBody("lost image");
        var lostCredential = await Cluster.PayAsync(http, await Cluster.ChallengeAsync(http, lost));
        using var first = await Cluster.RedeemAsync(http, lost, lostCredential);
        var lostId = await JobIdAsync(first);
        var next = MotionBody("queued behind it");
        using var second = await Cluster.RedeemAsync(http, next, await Cluster.PayAsync(http, await Cluster.ChallengeAsync(http, next)));
        var nextId = await JobIdAsync(second);

        // As a database restored without its bucket: the oldest job's image is not there.
        using (var bucket = new S3BlobStore(S3StorageSettings.Parse(cluster.Storage)))
        {
            await bucket.DeleteAsync(JobBlobs.Input(lostId), CancellationToken.None);
        }

        var worker = await cluster.StartAsync("worker");
        var failed = await Cluster.WaitForJobAsync(http, lostId, TimeSpan.FromSeconds(60));
        Assert.Equal(("FAILED", "GENERATION_FAILED"), (failed["status"]!.GetValue<string>(), failed["reason_code"]!.GetValue<string>()));
        Assert.Contains("no longer has this job's image", failed["error"]!.GetValue<string>());
        Assert.Equal("COMPLETED", (await Cluster.WaitForJobAsync(http, nextId, TimeSpan.FromSeconds(60)))["status"]!.GetValue<string>());

        // The identical request carries the image: the paid token's retry stores it again, and the job is made.
        using var retried = await Cluster.RedeemAsync(http, lost, lostCredential, prefer: "wait=60");
        var job = (await retried.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal((lostId, "COMPLETED"), (job["jobId"]!.GetValue<string>(), job["status"]!.GetValue<string>()));
        Assert.Equal(1, Completions(await worker.KillAsync(), lostId));
    }

    [Fact]
    public async Task With_the_database_stopped_callers_get_a_clear_503_and_the_paid_token_works_once_it_is_back()
    {
        await using var cluster = await Cluster.CreateAsync(stores);
        var server = await cluster.StartAsync("all");
        using var http = server.Http();
        var body = MotionBody("orbit");
        var credential = await Cluster.PayAsync(http, await Cluster.ChallengeAsync(http, body));

        await stores.Postgres.StopAsync();
        try
        {
            using var refused = await Cluster.RedeemAsync(http, body, credential);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("DATABASE_UNAVAILABLE", (await refused.Content.ReadFromJsonAsync<JsonNode>())!["error_code"]!.GetValue<string>());
            using var ready = await http.GetAsync("/readyz");
            Assert.Equal("unhealthy", (await ready.Content.ReadFromJsonAsync<JsonNode>())!["checks"]!["store"]!["status"]!.GetValue<string>());
        }
        finally
        {
            await stores.Postgres.StartAgainAsync();
        }

        // A caller retries after Retry-After; the pool's broken connections may fail the first try.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            using var response = await Cluster.RedeemAsync(http, body, credential, prefer: "wait=60");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal("COMPLETED", (await response.Content.ReadFromJsonAsync<JsonNode>())!["status"]!.GetValue<string>());
                break;
            }

            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(500);
        }

        Assert.Equal(1, await cluster.ScalarAsync<long>("SELECT COUNT(*) FROM jobs"));
    }

    [Fact]
    public async Task With_presign_videos_are_a_redirect_to_the_bucket()
    {
        await using var cluster = await Cluster.CreateAsync(stores, presign: true);
        var server = await cluster.StartAsync("all");
        using var http = server.Http();
        var body = MotionBody("drift");
        using var done = await Cluster.RedeemAsync(http, body, await Cluster.PayAsync(http, await Cluster.ChallengeAsync(http, body)), prefer: "wait=60");
        var videoPath = new Uri((await done.Content.ReadFromJsonAsync<JsonNode>())!["videoUrl"]!.GetValue<string>()).PathAndQuery;

        using var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.Address };
        using var redirect = await noRedirects.GetAsync(videoPath);
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        var location = redirect.Headers.Location!;
        Assert.StartsWith(stores.S3.Endpoint.GetLeftPart(UriPartial.Authority), location.ToString(), StringComparison.Ordinal);
        Assert.Contains("X-Amz-Signature=", location.Query, StringComparison.Ordinal);
        var bytes = await noRedirects.GetByteArrayAsync(location);
        Assert.Equal("ftyp", System.Text.Encoding.ASCII.GetString(bytes, 4, 4));
    }

    [GeneratedRegex("Job ([0-9a-f]{32}): completed")]
    private static partial Regex Completed();
}
