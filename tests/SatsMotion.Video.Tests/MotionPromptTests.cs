using SatsMotion.Testing;
using SatsMotion.Video.Motion;

namespace SatsMotion.Video.Tests;

public class MotionPromptTests
{
    [Theory]
    [InlineData("zoom in on the castle")]
    [InlineData("slow push in")]
    [InlineData("Dolly in toward her face")]
    [InlineData("move closer")]
    public void Zoom_in_words_zoom_in(string prompt)
    {
        var move = MotionPrompt.Parse(prompt);
        Assert.True(move.EndZoom > move.StartZoom, prompt);
    }

    [Theory]
    [InlineData("zoom out")]
    [InlineData("pull back to reveal the valley")]
    [InlineData("slowly pull out")]
    public void Zoom_out_words_zoom_out(string prompt)
    {
        var move = MotionPrompt.Parse(prompt);
        Assert.True(move.StartZoom > move.EndZoom, prompt);
    }

    [Fact]
    public void Pan_and_tilt_move_the_view_the_named_way()
    {
        Assert.True(MotionPrompt.Parse("pan left").EndX < MotionPrompt.Parse("pan left").StartX);
        Assert.True(MotionPrompt.Parse("pan right").EndX > MotionPrompt.Parse("pan right").StartX);
        Assert.True(MotionPrompt.Parse("tilt up").EndY < MotionPrompt.Parse("tilt up").StartY);
        Assert.True(MotionPrompt.Parse("tilt down").EndY > MotionPrompt.Parse("tilt down").StartY);
    }

    [Fact]
    public void Moves_combine()
    {
        var move = MotionPrompt.Parse("zoom in while panning right");
        Assert.True(move.EndZoom > move.StartZoom);
        Assert.True(move.EndX > move.StartX);
    }

    [Fact]
    public void Speed_words_scale_the_move()
    {
        static double Amount(string p) => MotionPrompt.Parse(p).EndZoom - 1;
        Assert.True(Amount("slowly zoom in") < Amount("zoom in"));
        Assert.True(Amount("zoom in") < Amount("zoom in fast"));
        Assert.True(Amount("zoom in fast") < Amount("dramatic zoom in"));
    }

    [Theory]
    [InlineData("steady zoom in", Easing.Linear)]
    [InlineData("zoom in, ease in", Easing.EaseIn)]
    [InlineData("zoom in, ease out", Easing.EaseOut)]
    [InlineData("zoom in", Easing.EaseInOut)]
    public void Easing_words_choose_the_easing(string prompt, Easing easing)
    {
        Assert.Equal(easing, MotionPrompt.Parse(prompt).Easing);
    }

    [Theory]
    [InlineData("Make the person wave hello")]
    [InlineData("")]
    [InlineData("a cat")]
    public void No_motion_words_give_a_slow_push_in_toward_the_centre(string prompt)
    {
        var move = MotionPrompt.Parse(prompt);
        Assert.Equal(1, move.StartZoom);
        Assert.InRange(move.EndZoom, 1.05, 1.15);
        Assert.Equal((0.0, 0.0, 0.0, 0.0), (move.StartX, move.EndX, move.StartY, move.EndY));
        Assert.Equal(0, move.OrbitRadius);
    }

    [Theory]
    [InlineData("dramatic zoom in and pan left fast")]
    [InlineData("orbit dramatically")]
    [InlineData("tilt up and pull out")]
    [InlineData("extreme pan right, tilt down")]
    [InlineData("slow zoom in")]
    public void Crops_never_leave_the_image(string prompt)
    {
        foreach (var (w, h) in new[] { (1920, 1080), (1080, 1920), (1000, 1000), (4000, 1000), (300, 200) })
        {
            using var source = TestImages.Gradient(w, h);
            var frame = OutputFrame.For(w, h);
            using var renderer = new MotionRenderer(source, frame, MotionPrompt.Parse(prompt), 48);
            var scale = Math.Min(1.0, (double)frame.Width / Math.Min(w, h * frame.Width / (double)frame.Height));
            for (var i = 0; i < 48; i++)
            {
                var crop = renderer.CropAt(i);
                Assert.True(crop.Left >= -1e-3 && crop.Top >= -1e-3, $"{prompt} {w}x{h} frame {i}: {crop}");
                Assert.True(crop.Right <= w * scale + 0.5 && crop.Bottom <= h * scale + 0.5, $"{prompt} {w}x{h} frame {i}: {crop}");
                Assert.Equal(frame.Width / (double)frame.Height, crop.Width / crop.Height, 2);
            }
        }
    }

    [Fact]
    public void Same_prompt_gives_the_same_move()
    {
        Assert.Equal(MotionPrompt.Parse("orbit slowly, zoom in"), MotionPrompt.Parse("orbit slowly, zoom in"));
    }

    [Theory]
    [InlineData(1920, 1080, 1280, 720)]
    [InlineData(1080, 1920, 720, 1280)]
    [InlineData(1000, 1000, 720, 720)]
    [InlineData(1200, 1000, 720, 720)]
    [InlineData(800, 1000, 720, 1280)]
    [InlineData(5000, 1000, 1280, 720)]
    public void Output_size_follows_the_source_aspect(int w, int h, int ow, int oh)
    {
        Assert.Equal(new OutputFrame(ow, oh), OutputFrame.For(w, h));
    }
}
