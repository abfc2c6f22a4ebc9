using System.Globalization;

namespace Dht.Node;

/// <summary>A small strict parser for <c>--name value</c> options: unknown, repeated or value-less options are usage errors.</summary>
internal sealed class CommandLine
{
    private readonly List<(string Name, string Value)> _options = [];

    public static CommandLine Parse(string[] args)
    {
        var result = new CommandLine();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"unexpected argument '{name}'");
            }

            if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"{name} needs a value");
            }

            result._options.Add((name, args[++i]));
        }

        return result;
    }

    public void AllowOnly(params string[] names)
    {
        foreach (var (name, _) in _options)
        {
            if (!names.Contains(name))
            {
                throw new UsageException($"unknown option {name} (allowed here: {string.Join(", ", names)})");
            }
        }
    }

    public IEnumerable<string> All(string name) => _options.Where(o => o.Name == name).Select(o => o.Value);

    public string? Single(string name)
    {
        var values = All(name).ToList();
        return values.Count switch
        {
            0 => null,
            1 => values[0],
            _ => throw new UsageException($"{name} given {values.Count} times"),
        };
    }

    public int Int(string name, int defaultValue, int min, int max)
    {
        var text = Single(name);
        if (text is null)
        {
            return defaultValue;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new UsageException($"{name} must be a whole number from {min} to {max}; got '{text}'");
        }

        return value;
    }
}

internal sealed class UsageException(string message) : Exception(message);
