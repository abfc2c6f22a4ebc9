using System.Text;
using System.Text.RegularExpressions;
using Dht.Protocol;
using Dht.Simulator.Scenarios;

using Dht.Tests.Support;

namespace Dht.Tests.Simulator;

/// <summary>
/// Mutated scenario files: whatever a user writes, loading either gives a scenario or a <see cref="ScenarioException"/>
/// naming what is wrong (which the command line turns into exit code 2), never another exception. Seeded and bounded:
/// every shipped scenario, a fixed number of mutations each.
/// </summary>
[TestClass]
[TestCategory("Simulator")]
public sealed partial class ScenarioFuzzTests
{
    private const int MutationsPerFile = 150;

    /// <summary>Values a number, string or boolean of a scenario is swapped for: wrong types, extremes, nothing.</summary>
    private static readonly string[] Replacements =
    [
        "-1", "0", "0.5", "1", "2", "-0", "1e308", "-1e308", "1e-320", "4294967296", "99999999999999999999999",
        "9223372036854775807", "\"\"", "\"x\"", "\"geo\"", "\"weibull\"", "null", "true", "false", "[]", "{}", "[1, 2]",
        "{ \"a\": 1 }", "NaN", "\"NaN\"", "Infinity", "1.7976931348623157e309",
    ];

    /// <summary>Text inserted at random: JSON punctuation, escapes, a NUL, non-ASCII letters and a character outside the BMP.</summary>
    private static readonly string[] Garbage = ["{", "}", "[", "]", ",", ":", "\"", "\\", "/", "0", "-", "e", ".", "x", "\u0000", "\u00e9", "\ud83d\ude00", "//", "/*"];

    [TestMethod]
    [DataRow(1UL)]
    [DataRow(2UL)]
    public void Load_MutatedScenarioFiles_ScenarioOrScenarioException(ulong seed)
    {
        var rng = new Xoshiro256(seed);
        var directory = Path.Combine(Repository.Root, "Dht.Simulator", "scenarios");
        var files = Directory.GetFiles(directory, "*.json").Order(StringComparer.Ordinal).ToList();
        Assert.IsGreaterThanOrEqualTo(8, files.Count, string.Join(", ", files));
        var scratch = Path.Combine(Path.GetTempPath(), $"dht-fuzz-{Environment.ProcessId}-{seed}");
        Directory.CreateDirectory(scratch);
        var (accepted, rejected) = (0, 0);
        try
        {
            foreach (var file in files)
            {
                var original = File.ReadAllText(file);
                for (var i = 0; i < MutationsPerFile; i++)
                {
                    var mutated = Mutate(original, rng);

                    // Through Load, as the command line does (file read, matrix path resolution, validation).
                    var path = Path.Combine(scratch, "mutated.json");
                    File.WriteAllText(path, mutated);
                    try
                    {
                        ScenarioLoader.Load(path);
                        accepted++;
                    }
                    catch (ScenarioException e)
                    {
                        Assert.IsFalse(string.IsNullOrWhiteSpace(e.Message), $"seed {seed}, {Path.GetFileName(file)} mutation {i}: empty message");
                        rejected++;
                    }
                    catch (Exception e)
                    {
                        Assert.Fail($"seed {seed}, {Path.GetFileName(file)} mutation {i}: {e.GetType().Name}: {e.Message}\n--- scenario ---\n{mutated}");
                    }
                }
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }

        // The mutations reach both outcomes, so the test checks something on each side.
        Assert.IsGreaterThan(files.Count * MutationsPerFile / 3, rejected, $"seed {seed}: rejected {rejected}, accepted {accepted}");
        Assert.IsGreaterThan(files.Count, accepted, $"seed {seed}: rejected {rejected}, accepted {accepted}");
    }

    /// <summary>One to three random edits: a value swapped, a span cut out, a line doubled, text cut short, bytes inserted.</summary>
    private static string Mutate(string text, Xoshiro256 rng)
    {
        var edits = 1 + rng.NextInt32(3);
        for (var e = 0; e < edits && text.Length > 0; e++)
        {
            switch (rng.NextInt32(6))
            {
                case 0:
                case 1:
                    {
                        var values = ValueRegex().Matches(text);
                        if (values.Count > 0)
                        {
                            var m = values[rng.NextInt32(values.Count)];
                            text = string.Concat(text.AsSpan(0, m.Index), Replacements[rng.NextInt32(Replacements.Length)], text.AsSpan(m.Index + m.Length));
                        }

                        break;
                    }

                case 2:
                    {
                        var start = rng.NextInt32(text.Length);
                        var length = Math.Min(text.Length - start, 1 + rng.NextInt32(12));
                        text = text.Remove(start, length);
                        break;
                    }

                case 3:
                    {
                        var lines = text.Split('\n').ToList();
                        var line = rng.NextInt32(lines.Count);
                        lines.Insert(line, lines[line]);
                        text = string.Join('\n', lines);
                        break;
                    }

                case 4:
                    text = text[..rng.NextInt32(text.Length)];
                    break;
                default:
                    {
                        var garbage = new StringBuilder();
                        for (var g = 1 + rng.NextInt32(4); g > 0; g--)
                        {
                            garbage.Append(Garbage[rng.NextInt32(Garbage.Length)]);
                        }

                        text = text.Insert(rng.NextInt32(text.Length + 1), garbage.ToString());
                        break;
                    }
            }
        }

        return text;
    }

    /// <summary>A JSON value after a colon: a number, a string, or a boolean.</summary>
    [GeneratedRegex(@"(?<=:\s*)(-?\d[\d.eE+-]*|""[^""\n]*""|true|false)")]
    private static partial Regex ValueRegex();
}
