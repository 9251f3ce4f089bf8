using SatsMotion.Server.Tests;
using SatsMotion.Video.ComfyUi;
using SatsMotion.Video.Models;
using SatsMotion.Video.Remote;

namespace SatsMotion.Backends.Tests.Video.ComfyUi;

/// <summary>The shipped Wan preset's adapter on a fake ComfyUI, and jobs for it: what the queue and socket tests drive.</summary>
internal static class WanOnFakeComfyUi
{
    public static ComfyUiProvider Provider(FakeComfyUi server, string? token)
    {
        var preset = ModelPresets.Find("comfyui/wan2.2-i2v")!;
        return new ComfyUiProvider(new ProviderClient(new HttpClient { BaseAddress = server.Address }, "comfyui"), server.Address, ModelPresets.WorkflowOf(preset), token,
            new OfferedLengths(preset.Durations, preset.Fps, FrameRule.Parse(preset.FrameRule)));
    }

    public static ProviderJob Job() => new(Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)), TestHost.DefaultImage, "image/jpeg", "a slow pan", 3, 49, 7);
}

/// <summary>The progress a job last reported.</summary>
internal sealed class LastProgress : IProgress<double>
{
    public double Last { get; private set; }

    public void Report(double value) => Last = value;
}
