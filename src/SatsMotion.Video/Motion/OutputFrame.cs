namespace SatsMotion.Video.Motion;

/// <summary>The output size, chosen by the source's aspect: 1280×720, 720×1280 or 720×720.</summary>
public readonly record struct OutputFrame(int Width, int Height)
{
    public const int FramesPerSecond = 24;

    /// <summary>No output is longer than this on either side: decoding a source with its short side this long is enough.</summary>
    public const int LongestSide = 1280;

    // Aspects between 4:5 and 5:4 count as square-ish.
    public static OutputFrame For(int sourceWidth, int sourceHeight)
    {
        var aspect = (double)sourceWidth / sourceHeight;
        return aspect >= 1.25 ? new(1280, 720) : aspect <= 0.8 ? new(720, 1280) : new(720, 720);
    }

    public int I420Length => Width * Height * 3 / 2;
}
