using Dht.Node;

namespace Dht.Tests.Node;

/// <summary>The daemon's command line: strict options with specific errors, and exit code 2 on bad usage.</summary>
[TestClass]
[DoNotParallelize] // Program.Main writes to the process's console
public sealed class NodeCommandLineTests
{
    [TestMethod]
    [DataRow(new[] { "port" }, "unexpected argument 'port'")]
    [DataRow(new[] { "--port" }, "--port needs a value")]
    [DataRow(new[] { "--port", "--key" }, "--port needs a value")]
    public void Parse_Malformed_ThrowsSpecificUsageError(string[] args, string message)
    {
        var e = Assert.ThrowsExactly<UsageException>(() => CommandLine.Parse(args));
        StringAssert.Contains(e.Message, message);
    }

    [TestMethod]
    public void Options_UnknownRepeatedOrOutOfRange_AreUsageErrors()
    {
        var unknown = CommandLine.Parse(["--colour", "blue"]);
        StringAssert.Contains(Assert.ThrowsExactly<UsageException>(() => unknown.AllowOnly("--port")).Message, "unknown option --colour");

        var twice = CommandLine.Parse(["--key", "a", "--key", "b"]);
        StringAssert.Contains(Assert.ThrowsExactly<UsageException>(() => twice.Single("--key")).Message, "given 2 times");

        var port = CommandLine.Parse(["--port", "70000"]);
        StringAssert.Contains(Assert.ThrowsExactly<UsageException>(() => port.Int("--port", 4000, 0, 65535)).Message, "from 0 to 65535; got '70000'");

        var ok = CommandLine.Parse(["--port", "4001", "--bootstrap", "127.0.0.1:1", "--bootstrap", "127.0.0.1:2"]);
        Assert.AreEqual(4001, ok.Int("--port", 4000, 0, 65535));
        Assert.AreEqual(2, ok.All("--bootstrap").Count());
        Assert.AreEqual(4000, CommandLine.Parse([]).Int("--port", 4000, 0, 65535));
    }

    [TestMethod]
    public async Task Main_BadUsage_ExitsTwo()
    {
        Assert.AreEqual(2, await Program.Main(["launch"]));
        Assert.AreEqual(2, await Program.Main(["run", "--bootstrap", "nonsense"]));
        Assert.AreEqual(2, await Program.Main(["demo", "--nodes", "1"]));
        Assert.AreEqual(2, await Program.Main(["keygen"]));
        Assert.AreEqual(0, await Program.Main(["help"]));
    }

    [TestMethod]
    public async Task Main_Keygen_CreatesOwnerOnlyKeyAndRefusesToOverwrite()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dht-node-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var key = Path.Combine(dir, "node.key");
        Assert.AreEqual(0, await Program.Main(["keygen", "--key", key]));
        using (var identity = DhtIdentity.Load(key))
        {
            Assert.IsFalse(identity.Id.IsZero);
        }

        Assert.AreEqual(2, await Program.Main(["keygen", "--key", key]), "an existing key is never overwritten");
    }
}
