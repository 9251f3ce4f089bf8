using System.Buffers;
using System.Threading.Channels;
using SatsMotion.Video.Encoding;
using SatsMotion.Video.Images;
using SatsMotion.Video.Models;
using SkiaSharp;

namespace SatsMotion.Video.Motion;

/// <summary>
/// The embedded, non-AI model: a camera move read from the prompt, rendered on the CPU and encoded as H.264.
/// Rendering runs ahead of the encoder by a few frames so the two overlap.
/// </summary>
public sealed class LocalMotionModel(int satsPerSecond = 100, string preset = "veryfast", int crf = 20, string? ffmpegPath = null, ModelSettings? settings = null) : IVideoModel
{
    public const string Slug = "motion";
    private const int FramesInFlight = 4;

    private const string Output = "H.264 MP4, 24 fps, 1280x720 / 720x1280 / 720x720 by the image's aspect";

    /// <summary>The built-in entry, or the operator's (id, slug, name, price and durations) for a configured one.</summary>
    public ModelDescriptor Descriptor { get; } = settings?.Describe("Motion (local camera move, non-AI)", Output) ?? new(
        Id: 1,
        Slug: Slug,
        Name: "Motion (local camera move, non-AI)",
        Description: "Animates the still with a camera move read from the prompt (zoom, pan, tilt, orbit, speed words). Runs on the server's CPU; it does not invent new content.",
        SatsPerSecond: satsPerSecond,
        Durations: ModelDescriptor.StandardDurations,
        Output: Output,
        IsAi: false);

    public async Task<VideoResult> GenerateAsync(VideoJob job, IVideoJobTracker tracker, CancellationToken cancellationToken)
    {
        using var image = ImageIntake.Decode(await File.ReadAllBytesAsync(job.ImagePath, cancellationToken), OutputFrame.LongestSide);
        return await GenerateAsync(new VideoRequest(image, job.Prompt, job.DurationSeconds, job.VideoPath, job.PosterPath), tracker, cancellationToken);
    }

    public Task<ModelAvailability> CheckAvailabilityAsync(CancellationToken cancellationToken) =>
        Task.FromResult(FfmpegTools.IsAvailable || ffmpegPath is not null ? ModelAvailability.Yes : new ModelAvailability(false, FfmpegTools.InstallHint));

    /// <summary>Renders an already decoded still (the job's image, or a benchmark's).</summary>
    public async Task<VideoResult> GenerateAsync(VideoRequest request, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        if (!Descriptor.AllowsDuration(request.DurationSeconds))
        {
            throw new ArgumentOutOfRangeException(nameof(request), $"duration must be {Descriptor.MinDurationSeconds}..{Descriptor.MaxDurationSeconds} s");
        }

        var bitmap = request.Image.Bitmap;
        var frame = OutputFrame.For(bitmap.Width, bitmap.Height);
        var frameCount = OutputFrame.FramesPerSecond * request.DurationSeconds;
        var posterPartial = request.PosterPath + ".partial";

        // ffmpeg starts first so that its start-up overlaps the preparation of the working image.
        await using var encoder = H264PipeEncoder.Start(new H264Settings(frame.Width, frame.Height, OutputFrame.FramesPerSecond, preset, crf), request.VideoPath, ffmpegPath);
        using var renderer = new MotionRenderer(bitmap, frame, MotionPrompt.Parse(request.Prompt), frameCount);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var frames = Channel.CreateBounded<byte[]>(FramesInFlight);
        var produce = Task.Run(() => RenderFrames(renderer, frameCount, posterPartial, frames.Writer, stop.Token), CancellationToken.None);
        try
        {
            var written = 0;
            await foreach (var buffer in frames.Reader.ReadAllAsync(cancellationToken))
            {
                try
                {
                    await encoder.WriteFrameAsync(buffer.AsMemory(0, frame.I420Length), cancellationToken);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                progress?.Report(++written / (double)frameCount);
            }

            await produce;
            await encoder.CompleteAsync(cancellationToken);
            File.Move(posterPartial, request.PosterPath, overwrite: true);
            return new VideoResult(request.VideoPath, request.PosterPath, frame.Width, frame.Height, frameCount, (double)frameCount / OutputFrame.FramesPerSecond);
        }
        finally
        {
            // The renderer holds native memory: it must not be disposed while the producer may still draw with it.
            await stop.CancelAsync();
            try
            {
                await produce;
            }
            catch (Exception) when (!produce.IsCompletedSuccessfully)
            {
                // Its failure, if any, already surfaced through the channel.
            }

            File.Delete(posterPartial);
        }
    }

    private static void RenderFrames(MotionRenderer renderer, int frameCount, string posterPath, ChannelWriter<byte[]> output, CancellationToken cancellationToken)
    {
        try
        {
            for (var i = 0; i < frameCount; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var buffer = ArrayPool<byte>.Shared.Rent(renderer.Frame.I420Length);
                renderer.RenderI420(i, buffer.AsSpan(0, renderer.Frame.I420Length));

                // The writer's WaitToWrite blocks here when the encoder is behind: back-pressure, bounded memory.
                while (!output.TryWrite(buffer))
                {
                    if (!output.WaitToWriteAsync(cancellationToken).AsTask().GetAwaiter().GetResult())
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return;
                    }
                }

                // The poster (the first frame) is made while ffmpeg is still starting up: a core is idle then,
                // whereas at the end the encoder uses every core.
                if (i == 0)
                {
                    using var poster = renderer.RenderRgba(0);
                    WritePoster(poster, posterPath);
                }
            }

            output.Complete();
        }
        catch (Exception e)
        {
            output.Complete(e);
            throw;
        }
    }

    private static void WritePoster(SKBitmap frame, string path)
    {
        using var data = frame.Encode(SKEncodedImageFormat.Jpeg, 85);
        using var file = File.Create(path);
        data.SaveTo(file);
    }
}
