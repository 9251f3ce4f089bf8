using SatsMotion.Bench;

// Benchmarks print tables of figures with ratios against a baseline measured in the same run.
// Usage: dotnet run -c Release --project bench/SatsMotion.Bench -- l402|motion|api|load [callers]|scale [jobs]|latency [runs]
var suites = new Dictionary<string, Func<string[], Task>>
{
    ["l402"] = _ => { L402Bench.Run(); return Task.CompletedTask; },
    ["motion"] = MotionBench.RunAsync,
    ["motion-run"] = MotionBench.RunOnceAsync,
    ["api"] = ApiBench.RunAsync,
    ["api-floor"] = ChallengeFloorServer.RunAsync,
    ["load"] = LoadBench.RunAsync,
    ["scale"] = ScaleBench.RunAsync,
    ["latency"] = LatencyBench.RunAsync,
};
var name = args.FirstOrDefault() ?? "";
if (!suites.TryGetValue(name, out var suite))
{
    Console.Error.WriteLine($"usage: bench <{string.Join('|', suites.Keys)}>");
    return 2;
}

try
{
    await suite(args[1..]);
}
catch (MissingToolException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

return 0;
