using SatsMotion.Testing;

namespace SatsMotion.Lightning.Tests;

/// <summary>Reads vectors/bolt11/{valid,invalid}.tsv: a title and an invoice per line.</summary>
public static class Bolt11Vectors
{
    public const string SpecPrivateKey = "e126f68f7eafcc8b74f54d269fe206be715000f94dac067d1c04a8ca3b2db734";

    public static IReadOnlyList<(string Title, string Invoice)> Read(string file) =>
        File.ReadAllLines(Path.Combine(RepositoryPaths.Vectors, "bolt11", file))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('\t'))
            .Select(parts => (parts[0], parts[1]))
            .ToList();

    public static string Invoice(string file, string titleStart) => Read(file).Single(v => v.Title.StartsWith(titleStart, StringComparison.Ordinal)).Invoice;
}
