using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Dht.Simulator.Scenarios;

/// <summary>
/// Reads a scenario file and checks every field before anything runs. Every problem becomes a
/// <see cref="ScenarioException"/> whose message starts with the field path, e.g. "network.loss: must be between 0 and 1; got 1.5".
/// </summary>
internal static partial class ScenarioLoader
{
    public const int MinNodes = 2;
    public const int MaxNodes = 2_000_000;

    /// <summary>Upper bound on simulated time (about three years), far below where ticks would overflow.</summary>
    public const double MaxDurationSeconds = 1e8;

    /// <summary>Loads, resolves <c>network.matrixFile</c> against the scenario's directory, and validates.</summary>
    public static Scenario Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ScenarioException($"{path}: scenario file not found", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ScenarioException($"{path}: cannot read scenario file: {e.Message}", e);
        }

        var scenario = Parse(text);
        if (scenario.Network is { MatrixFile: { Length: > 0 } matrix } && !Path.IsPathRooted(matrix))
        {
            var baseDir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
            scenario.Network.MatrixFile = Path.GetFullPath(Path.Combine(baseDir, matrix));
        }

        Validate(scenario);
        return scenario;
    }

    /// <summary>Deserializes JSON text; does not validate.</summary>
    public static Scenario Parse(string text)
    {
        try
        {
            return JsonSerializer.Deserialize(text, ScenarioJsonContext.Default.Scenario)
                ?? throw new ScenarioException("(root): the scenario must be a JSON object, not null");
        }
        catch (JsonException e)
        {
            throw new ScenarioException(Describe(e), e);
        }
    }

    private static string Describe(JsonException e)
    {
        var where = e.LineNumber is { } line
            ? $"line {line + 1}, position {(e.BytePositionInLine ?? 0) + 1}"
            : "unknown position";
        var field = FieldPath(e.Path);
        var message = e.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        }

        var reason = cut >= 0 ? message[..cut] : message;
        var unknown = UnknownPropertyRegex().Match(reason);
        if (unknown.Success)
        {
            var name = unknown.Groups[1].Value;
            // The path already ends with the name, plainly or in brackets when it holds characters a plain path cannot.
            var named = field.EndsWith(name, StringComparison.Ordinal) || field.EndsWith($"['{name}']", StringComparison.Ordinal);
            var full = field.Length == 0 ? name : named ? field : $"{field}.{name}";
            return $"{full}: unknown field (at {where})";
        }

        var duplicate = DuplicatePropertyRegex().Match(reason);
        if (duplicate.Success)
        {
            return $"{(field.Length == 0 ? duplicate.Groups[1].Value : field)}: given more than once (at {where})";
        }

        var conversion = ConversionRegex().Match(reason);
        if (conversion.Success)
        {
            return $"{(field.Length == 0 ? "(root)" : field)}: expected {Expected(conversion.Groups[1].Value)} (at {where})";
        }

        return $"invalid JSON at {where}{(field.Length > 0 ? $" (near {field})" : "")}: {reason.TrimEnd('.')}";
    }

    private static string FieldPath(string? jsonPath)
    {
        if (string.IsNullOrEmpty(jsonPath) || jsonPath == "$")
        {
            return "";
        }

        return jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath.TrimStart('$');
    }

    private static string Expected(string type) => type switch
    {
        _ when type.Contains("Nullable", StringComparison.Ordinal) && type.Contains("Double", StringComparison.Ordinal) => "a number or null",
        "System.Int32" or "System.Int64" or "System.UInt64" => "a whole number in range",
        "System.Double" => "a number",
        "System.Boolean" => "true or false",
        "System.String" => "a string",
        _ when type.StartsWith("System.Collections.Generic.List", StringComparison.Ordinal) => "an array",
        _ => "an object",
    };

    [GeneratedRegex("The JSON property '([^']*)' could not be mapped")]
    private static partial Regex UnknownPropertyRegex();

    [GeneratedRegex("Duplicate property '([^']*)'")]
    private static partial Regex DuplicatePropertyRegex();

    [GeneratedRegex("could not be converted to ([^ .]+(?:\\.[^ .]+)*(?:`1\\[[^\\]]*\\])?)")]
    private static partial Regex ConversionRegex();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")]
    private static partial Regex NameRegex();

    /// <summary>Applies command-line overrides (validated like the file's fields, named by their option) and revalidates.</summary>
    public static void ApplyOverrides(Scenario scenario, string? seed, string? nodes)
    {
        if (seed is not null)
        {
            if (!ulong.TryParse(seed, NumberStyles.None, CultureInfo.InvariantCulture, out var s))
            {
                throw new ScenarioException($"--seed: must be a whole number between 0 and {ulong.MaxValue}; got '{seed}'");
            }

            scenario.Seed = s;
        }

        if (nodes is not null)
        {
            if (!int.TryParse(nodes, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n is < MinNodes or > MaxNodes)
            {
                throw new ScenarioException($"--nodes: must be a whole number between {MinNodes} and {MaxNodes}; got '{nodes}'");
            }

            scenario.Nodes = n;
        }

        Validate(scenario);
    }

    /// <summary>Checks every field; throws on the first problem.</summary>
    public static void Validate(Scenario s)
    {
        var v = new Checker();
        v.Require(s.Name is not null && NameRegex().IsMatch(s.Name), "name",
            "must be 1-100 characters of letters, digits, '_', '-' or '.', not starting with '.' or '-' (it names the output folder)", s.Name);
        v.Range(s.Nodes, MinNodes, MaxNodes, "nodes");
        v.OneOf(s.Crypto, "crypto", "real", "modeled", "auto");
        v.Range(s.DurationSeconds, 1, MaxDurationSeconds, "durationSeconds");
        var duration = s.DurationSeconds;
        v.Range(s.JoinSeconds, 0, duration, "joinSeconds");
        v.Range(s.K, 1, 64, "k");
        v.Range(s.Alpha, 1, 16, "alpha");
        v.Require(s.PutReturnQuorum is null || (s.PutReturnQuorum >= 1 && s.PutReturnQuorum <= s.K), "putReturnQuorum",
            "must be between 1 and k (or absent: a PUT reports when every STORE answered)", s.PutReturnQuorum);
        v.Range(s.NearKeyParallelism, 0, 16, "nearKeyParallelism");
        v.Range(s.BucketSplitBits, 0, 3, "bucketSplitBits");
        v.Range(s.MaxSessions, 16, 65535, "maxSessions");
        v.Range(s.SessionIdleSeconds, 1, 86400, "sessionIdleSeconds");
        v.Range(s.RecordTtlSeconds, 10, 7 * 86400, "recordTtlSeconds");
        v.Require(double.IsFinite(s.RepublishSeconds) && s.RepublishSeconds > 0 && s.RepublishSeconds < s.RecordTtlSeconds,
            "republishSeconds", "must be positive and shorter than recordTtlSeconds", s.RepublishSeconds);
        v.Range(s.ReplicationSeconds, 1, MaxDurationSeconds, "replicationSeconds");
        v.Require(double.IsFinite(s.TimelineIntervalSeconds) && s.TimelineIntervalSeconds >= 0.1 && s.TimelineIntervalSeconds <= duration
                && duration / s.TimelineIntervalSeconds <= 1_000_000,
            "timelineIntervalSeconds", "must be at least 0.1, at most durationSeconds, and give at most 1,000,000 intervals", s.TimelineIntervalSeconds);
        v.Range(s.ClockDriftPpm, 0, 10_000, "clockDriftPpm");
        v.Require(double.IsFinite(s.DeadContactFraction) && s.DeadContactFraction is >= 0 and < 1, "deadContactFraction",
            "must be at least 0 and below 1", s.DeadContactFraction);

        v.NotNull(s.Network, "network");
        ValidateNetwork(v, s.Network, duration);
        v.NotNull(s.Churn, "churn");
        ValidateChurn(v, s.Churn, duration);
        v.NotNull(s.Workload, "workload");
        ValidateWorkload(v, s.Workload, duration);
        v.NotNull(s.Checks, "checks");
        v.Probability(s.Checks.ConvergenceSuccess, "checks.convergenceSuccess");
    }

    private static void ValidateNetwork(Checker v, NetworkSettings n, double duration)
    {
        v.OneOf(n.Latency, "network.latency", "geo", "constant", "matrix");
        v.Range(n.Clusters, 1, 10_000, "network.clusters");
        v.Range(n.ClusterRadiusKm, 0, 20_000, "network.clusterRadiusKm");
        v.Range(n.AccessDelayMinMs, 0, 10_000, "network.accessDelayMinMs");
        v.Range(n.AccessDelayMaxMs, n.AccessDelayMinMs, 10_000, "network.accessDelayMaxMs");
        v.Range(n.ConstantDelayMs, 0, 60_000, "network.constantDelayMs");
        v.Range(n.JitterMs, 0, 10_000, "network.jitterMs");
        v.Probability(n.Loss, "network.loss");
        v.Probability(n.BurstEnter, "network.burstEnter");
        v.Probability(n.BurstExit, "network.burstExit");
        v.Probability(n.BurstLoss, "network.burstLoss");
        v.Probability(n.Duplication, "network.duplication");
        v.Probability(n.NatFraction, "network.natFraction");
        v.Range(n.NatMappingSeconds, 1, 86_400, "network.natMappingSeconds");
        if (n.Latency == "matrix")
        {
            v.Require(!string.IsNullOrWhiteSpace(n.MatrixFile), "network.matrixFile", "is required when network.latency is \"matrix\"", n.MatrixFile);
            ValidateMatrix(n.MatrixFile!);
        }
        else
        {
            v.Require(n.MatrixFile is null, "network.matrixFile", "is only used when network.latency is \"matrix\"", n.MatrixFile);
        }

        v.NotNull(n.Partitions, "network.partitions");
        for (var i = 0; i < n.Partitions.Count; i++)
        {
            var p = n.Partitions[i];
            var at = $"network.partitions[{i}]";
            v.NotNull(p, at);
            v.Range(p.StartSeconds, 0, duration, at + ".startSeconds");
            v.Require(double.IsFinite(p.EndSeconds) && p.EndSeconds > p.StartSeconds && p.EndSeconds <= duration, at + ".endSeconds",
                "must be after startSeconds and at most durationSeconds", p.EndSeconds);
            v.Require(double.IsFinite(p.Fraction) && p.Fraction is > 0 and < 1, at + ".fraction", "must be between 0 and 1 (exclusive)", p.Fraction);
        }
    }

    /// <summary>The RTT matrix must exist and be square, with non-negative finite milliseconds and a zero-ish diagonal allowed.</summary>
    private static void ValidateMatrix(string path)
    {
        const string Field = "network.matrixFile";
        if (!File.Exists(path))
        {
            throw new ScenarioException($"{Field}: file not found: {path} (relative paths are resolved against the scenario file's folder)");
        }

        string[] lines;
        try
        {
            lines = [.. File.ReadAllLines(path).Where(l => l.Trim().Length > 0)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioException($"{Field}: cannot read {path}: {e.Message}", e);
        }

        if (lines.Length == 0)
        {
            throw new ScenarioException($"{Field}: {path} is empty");
        }

        for (var r = 0; r < lines.Length; r++)
        {
            var cells = lines[r].Split(',');
            if (cells.Length != lines.Length)
            {
                throw new ScenarioException($"{Field}: {path} must be a square CSV matrix; row {r + 1} has {cells.Length} values, expected {lines.Length}");
            }

            for (var c = 0; c < cells.Length; c++)
            {
                if (!double.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) || !double.IsFinite(ms) || ms < 0)
                {
                    throw new ScenarioException($"{Field}: {path} row {r + 1} column {c + 1}: must be a non-negative number of milliseconds; got '{cells[c].Trim()}'");
                }
            }
        }
    }

    private static void ValidateChurn(Checker v, ChurnSettings c, double duration)
    {
        v.OneOf(c.Model, "churn.model", "none", "exponential", "weibull");
        v.Range(c.SessionScaleMinutes, 0.01, 1e7, "churn.sessionScaleMinutes");
        v.Range(c.SessionShape, 0.05, 100, "churn.sessionShape");
        v.Range(c.DowntimeScaleMinutes, 0.01, 1e7, "churn.downtimeScaleMinutes");
        v.Range(c.DowntimeShape, 0.05, 100, "churn.downtimeShape");
        v.Range(c.StartSeconds, 0, duration, "churn.startSeconds");
    }

    private static void ValidateWorkload(Checker v, WorkloadSettings w, double duration)
    {
        v.Range(w.StartSeconds, 0, duration, "workload.startSeconds");
        if (w.StopWritesSeconds is { } stop)
        {
            v.Require(double.IsFinite(stop) && stop >= w.StartSeconds && stop <= duration, "workload.stopWritesSeconds",
                "must be between workload.startSeconds and durationSeconds (or null for never)", stop);
        }

        v.Rate(w.PutsPerSecond, "workload.putsPerSecond");
        v.Rate(w.GetsPerSecond, "workload.getsPerSecond");
        v.Rate(w.SignedPutsPerSecond, "workload.signedPutsPerSecond");
        v.Rate(w.LookupsPerSecond, "workload.lookupsPerSecond");
        v.Range(w.ValueBytes, 1, Math.Min(DhtRecord.MaxValueSize, 1000), "workload.valueBytes");
        v.Range(w.SignedKeys, 1, 1_000_000, "workload.signedKeys");
        v.Range(w.MaxOperations, 0, 100_000_000, "workload.maxOperations");
    }

    private sealed class Checker
    {
        public void Require(bool ok, string field, string rule, object? got)
        {
            if (!ok)
            {
                throw new ScenarioException($"{field}: {rule}; got {Show(got)}");
            }
        }

        public void NotNull(object? value, string field)
        {
            if (value is null)
            {
                throw new ScenarioException($"{field}: must not be null");
            }
        }

        public void Range(int value, int min, int max, string field) =>
            Require(value >= min && value <= max, field, $"must be between {Show(min)} and {Show(max)}", value);

        public void Range(double value, double min, double max, string field) =>
            Require(double.IsFinite(value) && value >= min && value <= max, field, $"must be between {Show(min)} and {Show(max)}", value);

        public void Probability(double value, string field) =>
            Require(double.IsFinite(value) && value is >= 0 and <= 1, field, "must be between 0 and 1", value);

        public void Rate(double value, string field)
        {
            Require(double.IsFinite(value) && value >= 0, field, "must not be negative", value);
            Require(value <= 1_000_000, field, "must be at most 1,000,000 per second", value);
        }

        public void OneOf(string? value, string field, params string[] allowed) =>
            Require(value is not null && allowed.Contains(value, StringComparer.Ordinal), field,
                "must be one of " + string.Join(", ", allowed.Select(a => $"\"{a}\"")), value);

        private static string Show(object? value) => value switch
        {
            null => "null",
            string s => $"\"{s}\"",
            int i => i.ToString("N0", CultureInfo.InvariantCulture),
            double d => d.ToString(CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
    }
}
