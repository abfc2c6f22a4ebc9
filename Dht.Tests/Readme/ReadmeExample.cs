using System.Net;
using System.Text;

namespace Dht.Tests.Readme;

/// <summary>The README's example, verbatim between the markers; ReadmeExampleTests checks the README matches and runs it.</summary>
internal static class ReadmeExample
{
    public static async Task RunAsync(string keyPath, TextWriter output)
    {
        // example:start
        // An identity is an Ed25519 key pair; the node id is its public key. The key file is created 0600.
        using var identity = DhtIdentity.LoadOrCreate(keyPath);
        using var seedIdentity = DhtIdentity.Generate();

        // Two nodes on loopback: a seed and ours. Port 0 lets the OS pick; the default bind address is dual-stack [::].
        var loopback = new DhtNodeOptions { BindAddress = IPAddress.Loopback };
        await using var seed = await DhtNode.StartAsync(seedIdentity, loopback);
        await using var node = await DhtNode.StartAsync(identity, loopback);

        // Join through the seed. "id@address:port" pins the seed's key; "address:port" learns it on first contact.
        await node.BootstrapAsync([DhtPeer.Parse($"{seed.Id}@{seed.LocalEndPoints[0]}")]);

        // Immutable values are stored under SHA-256(value) and checked against it when read.
        PutResult put = await node.PutAsync(Encoding.UTF8.GetBytes("hello, dht"));
        byte[]? value = await seed.GetAsync(put.Key);
        output.WriteLine($"{put.Key}: {Encoding.UTF8.GetString(value!)} ({put.Acknowledged} acks)");

        // Signed records (BEP 44 semantics): named by public key and salt; the highest sequence number wins.
        using var author = DhtIdentity.Generate();
        var salt = Encoding.UTF8.GetBytes("status");
        await node.PutSignedAsync(author, Encoding.UTF8.GetBytes("online"), new SignedPutOptions { Salt = salt });
        await node.PutSignedAsync(author, Encoding.UTF8.GetBytes("busy"), new SignedPutOptions { Salt = salt });
        DhtRecord? latest = await seed.GetSignedAsync(author.PublicKey, salt);
        output.WriteLine($"seq {latest!.Sequence}: {Encoding.UTF8.GetString(latest.Value.Span)}");

        // Compare-and-swap: refused unless the stored sequence is still 2.
        PutResult cas = await node.PutSignedAsync(author, Encoding.UTF8.GetBytes("away"),
            new SignedPutOptions { Salt = salt, CompareAndSwap = 2 });
        output.WriteLine($"cas write: {cas.Acknowledged} acks");

        DhtNodeInfo info = await node.GetInfoAsync();
        output.WriteLine($"node {info.Id} on {info.EndPoints[0]} knows {info.RoutingTableSize} contact(s)");
        // example:end
    }
}
