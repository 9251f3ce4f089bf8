namespace SatsMotion.Testing;

/// <summary>Waits for a server started as its own process to answer GET /healthz.</summary>
public static class ServerHealth
{
    public static async Task WaitAsync(HttpClient http, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if ((await http.GetAsync("/healthz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the server did not answer /healthz within {timeout.TotalSeconds} s");
    }
}
