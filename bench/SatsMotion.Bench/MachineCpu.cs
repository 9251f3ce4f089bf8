using System.Globalization;

namespace SatsMotion.Bench;

/// <summary>
/// How busy the whole machine's cores were between two readings of /proc/stat: every process counts (servers,
/// workers, PostgreSQL, s3rver, ffmpeg), which is what tells an I/O-bound run from one the cores hold back.
/// </summary>
public readonly record struct MachineCpu(long Busy, long Total)
{
    public static MachineCpu Read()
    {
        // "cpu  user nice system idle iowait irq softirq steal ...", in clock ticks since boot.
        var ticks = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        var total = ticks.Sum();
        return new MachineCpu(total - ticks[3] - ticks[4], total);
    }

    /// <summary>The share of the cores that was busy since <paramref name="earlier"/>, 0 to 1.</summary>
    public double BusySince(MachineCpu earlier) => Total == earlier.Total ? 0 : (double)(Busy - earlier.Busy) / (Total - earlier.Total);
}
