using System.Diagnostics;
using System.Net;
using System.Text;
using SatsMotion.Testing;

namespace SatsMotion.Backends.Tests;

/// <summary>
/// The console's key and sessions as the server process handles them: a bad AdminKeyFile stops the start naming
/// the setting; the banner names where the key is, never the key; after a sign-in, pages browsed, a wrong key and a
/// sign-out, nothing the server printed (at Debug) or served holds the key or the session cookie. And --version.
/// </summary>
public sealed class AdminConsoleProcessTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("console-process-").FullName;

    public void Dispose() => Directory.Delete(_data, true);

    private ProcessStartInfo Server(Uri address, params string[] more) =>
        new("dotnet", [typeof(Program).Assembly.Location, "--data", Path.Combine(_data, "data"), "--urls", address.GetLeftPart(UriPartial.Authority), .. more]);

    [Fact]
    public async Task A_missing_or_short_admin_key_file_stops_the_start_naming_it()
    {
        var address = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}");
        var missing = Path.Combine(_data, "no-such.key");
        var (exit, stderr) = await ServerProcess.RunUntilExitAsync(Server(address, "--SatsMotion:AdminKeyFile=" + missing), TimeSpan.FromSeconds(60));
        Assert.Equal(2, exit);
        Assert.Contains($"SatsMotion:AdminKeyFile: {missing} cannot be read", stderr);

        var tooShort = Path.Combine(_data, "short.key");
        await File.WriteAllTextAsync(tooShort, "hunter2");
        (exit, stderr) = await ServerProcess.RunUntilExitAsync(Server(address, "--SatsMotion:AdminKeyFile=" + tooShort), TimeSpan.FromSeconds(60));
        Assert.Equal(2, exit);
        Assert.Contains("must hold a key of at least 20 characters", stderr);
        Assert.DoesNotContain("hunter2", stderr);
    }

    [Fact]
    public async Task Neither_the_key_nor_a_session_is_printed_or_served()
    {
        const string key = "operator-key-c0ffee-c0ffee-c0ffee-c0ffee";
        var keyFile = Path.Combine(_data, "admin.key");
        await File.WriteAllTextAsync(keyFile, key + "\n");
        var address = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}");
        var served = new StringBuilder();
        string session;
        string output;
        await using (var server = await ServerProcess.StartAsync(Server(address, "--SatsMotion:AdminKeyFile=" + keyFile, "--Logging:LogLevel:Default=Debug"), address,
            TimeSpan.FromSeconds(20)))
        {
            using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true }) { BaseAddress = address };
            async Task<HttpResponseMessage> Logged(HttpResponseMessage response)
            {
                served.Append(response.Headers).Append(await response.Content.ReadAsStringAsync());
                return response;
            }

            using (var wrong = await Logged(await http.PostAsync("/admin/sign-in", new FormUrlEncodedContent([new("key", key + "-but-wrong")]))))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            }

            using (var signIn = await http.PostAsync("/admin/sign-in", new FormUrlEncodedContent([new("key", key)])))
            {
                Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
                session = signIn.Headers.GetValues("Set-Cookie").Single().Split(';')[0].Split('=')[1];
                Assert.Equal(64, session.Length);
            }

            string csrf = "";
            foreach (var page in new[] { "/admin", "/admin/jobs", "/admin/money", "/admin/health", "/admin/actions" })
            {
                using var response = await Logged(await http.GetAsync(page));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                csrf = System.Text.RegularExpressions.Regex.Match(served.ToString(), "name=\"csrf\" value=\"([0-9a-f]{64})\"").Groups[1].Value;
            }

            using (var bearer = await Logged(await new HttpClient { BaseAddress = address, DefaultRequestHeaders = { { "Authorization", "Bearer " + key } } }.GetAsync("/admin/health")))
            {
                Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
            }

            using (var signOut = await Logged(await http.PostAsync("/admin/sign-out", new FormUrlEncodedContent([new("csrf", csrf)]))))
            {
                Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
            }

            output = await server.StopAsync();
        }

        Assert.Contains($"Console:   {address.GetLeftPart(UriPartial.Authority)}/admin (the admin key is in {keyFile})", output);
        Assert.Contains("Console session", output);
        foreach (var secret in new[] { key, session })
        {
            Assert.DoesNotContain(secret, output);
            Assert.DoesNotContain(secret, served.ToString());
        }
    }

    [Fact]
    public async Task The_version_is_printed_and_on_healthz()
    {
        var start = new ProcessStartInfo("dotnet", [typeof(Program).Assembly.Location, "--version"]) { RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var printed = (await process.StandardOutput.ReadToEndAsync()).Trim();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        Assert.Matches(@"^satsmotion \d+\.\d+\.\d+", printed);

        var address = new Uri($"http://127.0.0.1:{LoopbackPorts.Free()}");
        await using var server = await ServerProcess.StartAsync(Server(address), address, TimeSpan.FromSeconds(20));
        var health = System.Text.Json.Nodes.JsonNode.Parse(await new HttpClient().GetStringAsync(new Uri(address, "/healthz")))!;
        Assert.Equal(printed["satsmotion ".Length..], health["version"]!.GetValue<string>());
        Assert.Contains($"SatsMotion {printed["satsmotion ".Length..]} is listening", await server.StopAsync());
    }
}
