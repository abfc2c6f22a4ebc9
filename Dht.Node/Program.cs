using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace Dht.Node;

/// <summary>
/// The daemon's command line. Minimal for now (persistence, control API and metrics come with the daemon issue):
/// <c>run</c> a node, run a local <c>demo</c> network, or create a key.
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage:
          dht-node run  [--port N] [--bind ADDRESS] [--key FILE] [--bootstrap PEER]...
                        PEER is address:port or id@address:port; default key file ./dht-node.key, port 4000
          dht-node demo [--nodes N] [--values N]
                        starts N nodes (default 20) on 127.0.0.1, stores and reads N values (default 50), prints a summary
          dht-node keygen --key FILE
                        creates a key file (0600) and prints the node id
        """;

    internal static async Task<int> Main(string[] args)
    {
        try
        {
            var command = args.Length == 0 ? "help" : args[0];
            var options = CommandLine.Parse(args.Skip(1).ToArray());
            return command switch
            {
                "run" => await RunAsync(options),
                "demo" => await DemoAsync(options),
                "keygen" => KeyGen(options),
                "help" or "--help" or "-h" => PrintUsage(0),
                _ => throw new UsageException($"unknown command '{command}'"),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"dht-node: {e.Message}");
            Console.Error.WriteLine(Usage);
            return 2;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException or ArgumentException)
        {
            Console.Error.WriteLine($"dht-node: {e.Message}");
            return 1;
        }
    }

    private static int PrintUsage(int code)
    {
        Console.WriteLine(Usage);
        return code;
    }

    private static async Task<int> RunAsync(CommandLine options)
    {
        options.AllowOnly("--port", "--bind", "--key", "--bootstrap");
        var port = options.Int("--port", 4000, 0, 65535);
        var bind = options.Single("--bind") is { } b
            ? IPAddress.TryParse(b, out var parsed) ? parsed : throw new UsageException($"--bind: '{b}' is not an IP address")
            : IPAddress.IPv6Any;
        var peers = options.All("--bootstrap").Select(p =>
        {
            try
            {
                return DhtPeer.Parse(p);
            }
            catch (FormatException e)
            {
                throw new UsageException($"--bootstrap: {e.Message}");
            }
        }).ToList();

        using var identity = DhtIdentity.LoadOrCreate(options.Single("--key") ?? "dht-node.key");
        await using var node = await DhtNode.StartAsync(identity, new DhtNodeOptions { Port = port, BindAddress = bind });
        Console.WriteLine($"node {node.Id} listening on {string.Join(", ", node.LocalEndPoints)}");
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        if (peers.Count > 0)
        {
            var size = await node.BootstrapAsync(peers, stop.Token);
            Console.WriteLine($"bootstrapped: {size} contacts");
        }

        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(60), stop.Token);
                var info = await node.GetInfoAsync(stop.Token);
                Console.WriteLine($"{DateTimeOffset.UtcNow:O} contacts={info.RoutingTableSize} records={info.StoredRecords} rx={info.DatagramsReceived} tx={info.DatagramsSent} dropped={info.DatagramsDropped}");
            }
        }
        catch (OperationCanceledException)
        {
        }

        Console.WriteLine("stopping");
        return 0;
    }

    private static async Task<int> DemoAsync(CommandLine options)
    {
        options.AllowOnly("--nodes", "--values");
        var count = options.Int("--nodes", 20, 2, 200);
        var values = options.Int("--values", 50, 1, 10_000);
        var clock = Stopwatch.StartNew();
        var identities = Enumerable.Range(0, count).Select(_ => DhtIdentity.Generate()).ToList();
        var nodes = new List<DhtNode>();
        try
        {
            foreach (var identity in identities)
            {
                nodes.Add(await DhtNode.StartAsync(identity, new DhtNodeOptions { BindAddress = IPAddress.Loopback }));
            }

            var seed = new DhtPeer(nodes[0].LocalEndPoints[0], nodes[0].Id);
            foreach (var node in nodes.Skip(1))
            {
                await node.BootstrapAsync([seed]);
            }

            Console.WriteLine($"{count} nodes on 127.0.0.1 bootstrapped through {seed} in {clock.ElapsedMilliseconds} ms");
            var random = new Random(1);
            int found = 0, acks = 0;
            var timer = Stopwatch.StartNew();
            for (var i = 0; i < values; i++)
            {
                var value = Encoding.UTF8.GetBytes($"value {i} written at {DateTimeOffset.UtcNow:O}");
                var put = await nodes[random.Next(count)].PutAsync(value);
                acks += put.Acknowledged;
                var got = await nodes[random.Next(count)].GetAsync(put.Key);
                if (got is not null && got.AsSpan().SequenceEqual(value))
                {
                    found++;
                }
            }

            using var author = DhtIdentity.Generate();
            for (var seq = 1; seq <= 3; seq++)
            {
                await nodes[0].PutSignedAsync(author, Encoding.UTF8.GetBytes($"revision {seq}"));
            }

            var latest = await nodes[^1].GetSignedAsync(author.PublicKey);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"immutable: {found}/{values} read back byte-for-byte, {acks / (double)values:0.0} acks per put, {timer.Elapsed.TotalMilliseconds / values:0.0} ms per put+get"));
            Console.WriteLine($"signed: latest seq {latest?.Sequence} \"{(latest is null ? "" : Encoding.UTF8.GetString(latest.Value.Span))}\"");
            var ok = found == values && latest?.Sequence == 3;
            Console.WriteLine(ok ? "demo: all reads correct" : "demo: FAILED");
            return ok ? 0 : 1;
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            identities.ForEach(i => i.Dispose());
        }
    }

    private static int KeyGen(CommandLine options)
    {
        options.AllowOnly("--key");
        var path = options.Single("--key") ?? throw new UsageException("keygen needs --key FILE");
        if (File.Exists(path))
        {
            throw new UsageException($"'{path}' exists; refusing to overwrite a key");
        }

        using var identity = DhtIdentity.Generate();
        identity.Save(path);
        Console.WriteLine(identity.Id);
        return 0;
    }
}
