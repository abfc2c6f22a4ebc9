using Dht.Protocol;
using Dht.Records;
using Dht.Routing;
using Dht.Tests.Support;
using Dht.Wire;

namespace Dht.Tests.Protocol;

/// <summary>Store bounds as a remote writer sees them (STORED result codes), and option validation naming each bad option.</summary>
public sealed partial class BoundsTests
{
    private static RecordRejection Store(BoundsFixture f, WirePeer writer, DhtRecord record, ulong seed)
    {
        writer.Send(f.Engine, f.Now, writer.Seal(new Message { Type = MessageType.Ping, RequestId = 1 }));
        var pong = WirePeer.Drain(f.Engine).Where(d => d.To == writer.Address).Select(d => writer.OpenMessage(d.Data, $"seed {seed}")).First(m => m.Type == MessageType.Pong);
        var store = new Message { Type = MessageType.Store, RequestId = 2, HasToken = true, Token = pong.Token, TtlSeconds = 600, Record = record };
        writer.Send(f.Engine, f.Now, writer.Seal(store));
        var answer = WirePeer.Drain(f.Engine).Where(d => d.To == writer.Address).Select(d => writer.OpenMessage(d.Data, $"seed {seed}")).First(m => m.RequestId == 2);
        Assert.AreEqual(MessageType.Stored, answer.Type, $"{answer.Error}; seed {seed}");
        return (RecordRejection)answer.ResultCode;
    }

    private static DhtRecord Immutable(int i, int size = 8)
    {
        var value = new byte[size];
        value[0] = (byte)i;
        value[^1] = 0xAA;
        return DhtRecord.CreateImmutable(value);
    }

    private static DhtRecord Signed(DhtIdentity signer, long seq, string value) =>
        DhtRecord.CreateSigned(signer, System.Text.Encoding.UTF8.GetBytes(value), seq, "salt"u8.ToArray());

    [TestMethod]
    [DataRow(613UL)]
    public void ReStore_ByteIdenticalSignedRecord_VerifiedOnceRefreshed(ulong seed)
    {
        CountingVerifySuite? counting = null;
        using var f = new BoundsFixture(seed, _ => { }, c => counting = new CountingVerifySuite(c));
        using var signer = DhtIdentity.Generate();
        var peers = f.Peers(0, 2);
        var record = Signed(signer, 1, "v1");

        Assert.AreEqual(RecordRejection.None, Store(f, peers[0], record, seed), $"seed {seed}");
        Assert.AreEqual(1, counting!.Verifications, $"seed {seed}");

        // The publisher's republish and another replica's replication: the same bytes, each decoded into a new instance.
        Assert.AreEqual(RecordRejection.None, Store(f, peers[0], record, seed), $"seed {seed}");
        Assert.AreEqual(RecordRejection.None, Store(f, peers[1], record, seed), $"seed {seed}");
        Assert.AreEqual(1, counting.Verifications, $"identical re-stores need no second check; seed {seed}");
        Assert.AreEqual(1, f.Engine.StoredRecords, $"seed {seed}");

        // A newer version is new bytes: checked.
        Assert.AreEqual(RecordRejection.None, Store(f, peers[1], Signed(signer, 2, "v2"), seed), $"seed {seed}");
        Assert.AreEqual(2, counting.Verifications, $"seed {seed}");
    }

    [TestMethod]
    [DataRow(614UL)]
    public void ReStore_SameRecordOtherSignatureBytes_CheckedAndRejected(ulong seed)
    {
        CountingVerifySuite? counting = null;
        using var f = new BoundsFixture(seed, _ => { }, c => counting = new CountingVerifySuite(c));
        using var signer = DhtIdentity.Generate();
        var writer = f.Peers(0, 1)[0];
        var record = Signed(signer, 1, "v1");
        Assert.AreEqual(RecordRejection.None, Store(f, writer, record, seed), $"seed {seed}");

        var signature = record.Signature.ToArray();
        signature[0] ^= 0x80;
        var forged = DhtRecord.FromParts(true, record.Value, record.PublicKey, record.Salt, record.Sequence, signature);
        Assert.AreEqual(RecordRejection.BadSignature, Store(f, writer, forged, seed), $"seed {seed}");
        Assert.AreEqual(2, counting!.Verifications, $"seed {seed}");
    }

    [TestMethod]
    [DataRow(615UL)]
    public void ReStore_HeldRecordFromStoreNeverVerifiedHere_StillChecked(ulong seed)
    {
        // A durable store is not trusted to vouch for what it holds: its record was never checked by this engine (here
        // a forgery someone put in the file), so a STORE of the same bytes gets the full check and fails.
        using var signer = DhtIdentity.Generate();
        var good = Signed(signer, 1, "v1");
        var forged = DhtRecord.FromParts(true, "forged"u8.ToArray(), good.PublicKey, good.Salt, 1, good.Signature);
        var store = new InMemoryRecordStore();
        store.Upsert(new StoredRecord(forged, forged.Key, isLocal: false, 0, Instant.FromSeconds(10_000).Ticks));
        CountingVerifySuite? counting = null;
        using var f = new BoundsFixture(seed, _ => { }, c => counting = new CountingVerifySuite(c), store);
        var writer = f.Peers(0, 1)[0];

        var copy = DhtRecord.FromParts(true, forged.Value, forged.PublicKey, forged.Salt, forged.Sequence, forged.Signature);
        Assert.AreEqual(RecordRejection.BadSignature, Store(f, writer, copy, seed), $"seed {seed}");
        Assert.AreEqual(1, counting!.Verifications, $"seed {seed}");
    }

    [TestMethod]
    [DataRow(611UL, "MaxRecords")]
    [DataRow(611UL, "MaxTotalBytes")]
    [DataRow(611UL, "MaxRecordsPerSource")]
    public void StoreLimits_ReachedByRemoteWriter_RejectionInStored(ulong seed, string bound)
    {
        var limits = bound switch
        {
            "MaxRecords" => new RecordStoreLimits { MaxRecords = 2 },
            "MaxTotalBytes" => new RecordStoreLimits { MaxTotalBytes = 100 },
            _ => new RecordStoreLimits { MaxRecordsPerSource = 2 },
        };
        using var f = new BoundsFixture(seed, o => o.StoreLimits = limits);
        var writer = f.Peers(0, 1)[0];
        var other = f.Peers(1, 1)[0];
        var expected = bound == "MaxRecordsPerSource" ? RecordRejection.SourceQuotaExceeded : RecordRejection.StoreFull;

        Assert.AreEqual(RecordRejection.None, Store(f, writer, Immutable(1, 40), seed), $"{bound}; seed {seed}");
        Assert.AreEqual(RecordRejection.None, Store(f, writer, Immutable(2, 40), seed), $"{bound}; seed {seed}");
        Assert.AreEqual(expected, Store(f, writer, Immutable(3, 40), seed), $"{bound}; seed {seed}");
        Assert.AreEqual(2, f.Engine.StoredRecords, $"{bound}; seed {seed}");
        Assert.AreEqual(RecordRejection.None, Store(f, writer, Immutable(1, 40), seed), $"a refresh still fits; {bound}; seed {seed}");

        // The per-source quota is per writer; the global bounds are not.
        var fromOther = Store(f, other, Immutable(4, 40), seed);
        Assert.AreEqual(bound == "MaxRecordsPerSource" ? RecordRejection.None : RecordRejection.StoreFull, fromOther, $"{bound}; seed {seed}");
    }

    [TestMethod]
    [DataRow(612UL)]
    public void StoreLimits_EngineToEngine_WriterTalliesRejection(ulong seed)
    {
        using var net = new VirtualNetwork(seed);
        var storerOptions = VirtualNetwork.TestOptions();
        storerOptions.StoreLimits = new RecordStoreLimits { MaxRecords = 1 };
        var storer = net.AddNode(storerOptions);
        var writer = net.AddNode();
        var boot = writer.Engine.StartBootstrap(net.Now, [(storer.Address, (NodeId?)storer.Id)]);
        Assert.IsTrue(net.RunUntil(() => writer.Completed<BootstrapCompleted>(boot) is not null, TimeSpan.FromMinutes(1)), $"seed {seed}");

        PutResult Put(DhtRecord record)
        {
            var op = writer.Engine.StartPut(net.Now, record, null);
            Assert.IsTrue(net.RunUntil(() => writer.Completed<PutCompleted>(op) is not null, TimeSpan.FromMinutes(1)), $"seed {seed}");
            return writer.Completed<PutCompleted>(op)!.Result;
        }

        Assert.AreEqual(1, Put(Immutable(1)).Acknowledged, $"seed {seed}");
        var second = Put(Immutable(2));
        Assert.AreEqual(0, second.Acknowledged, $"{second}; seed {seed}");
        Assert.AreEqual(1, second.Rejections.GetValueOrDefault(RecordRejection.StoreFull), $"seed {seed}");
        Assert.AreEqual(RecordRejection.None, second.LocalResult, $"the writer's own store is not bounded by the storer's; seed {seed}");
    }

    [TestMethod]
    [DataRow("K=0", "K")]
    [DataRow("K=65", "K")]
    [DataRow("Alpha=0", "Alpha")]
    [DataRow("Alpha=17", "Alpha")]
    [DataRow("MaxValueSize=0", "MaxValueSize")]
    [DataRow("MaxValueSize=1008", "MaxValueSize")]
    [DataRow("RecordTtl=9s", "RecordTtl")]
    [DataRow("RecordTtl=8d", "RecordTtl")]
    [DataRow("RepublishInterval=0", "RepublishInterval")]
    [DataRow("RepublishInterval=RecordTtl", "RepublishInterval")]
    [DataRow("ReplicationInterval=0", "ReplicationInterval")]
    [DataRow("MaintenanceInterval=0", "MaintenanceInterval")]
    [DataRow("MinRequestTimeout=0", "MinRequestTimeout")]
    [DataRow("MinRequestTimeout>Max", "MinRequestTimeout")]
    [DataRow("InitialRequestTimeout<Min", "InitialRequestTimeout")]
    [DataRow("InitialRequestTimeout>Max", "InitialRequestTimeout")]
    [DataRow("OperationTimeout=MaxRequestTimeout", "OperationTimeout")]
    [DataRow("TokenRotation=0", "TokenRotation")]
    [DataRow("MaxPendingRequests=15", "MaxPendingRequests")]
    [DataRow("MaxSessions=15", "MaxSessions")]
    [DataRow("MaxSessions=65536", "MaxSessions")]
    [DataRow("ReplayWindow=0", "ReplayWindow")]
    [DataRow("ReplayWindow=1025", "ReplayWindow")]
    [DataRow("SessionIdleTimeout<1s", "SessionIdleTimeout")]
    [DataRow("MaxConcurrentOperations=0", "MaxConcurrentOperations")]
    [DataRow("MaxTransmitQueue=63", "MaxTransmitQueue")]
    [DataRow("MaxLookupCandidates=K-1", "MaxLookupCandidates")]
    [DataRow("MaxVerificationsInFlight=-1", "MaxVerificationsInFlight")]
    [DataRow("MaxMaintenanceOperations=0", "MaxMaintenanceOperations")]
    [DataRow("NewSessionsPerSecond=0", "NewSessionsPerSecond")]
    [DataRow("StoreLimits.MaxRecords=0", "MaxRecords")]
    [DataRow("StoreLimits.MaxTotalBytes=0", "MaxTotalBytes")]
    [DataRow("StoreLimits.MaxRecordsPerSource=0", "MaxRecordsPerSource")]
    [DataRow("StoreLimits.MaxTtl=0", "MaxTtl")]
    [DataRow("Routing.K=0", "K")]
    [DataRow("Routing.ReplacementCacheSize=-1", "ReplacementCacheSize")]
    [DataRow("Routing.MaxFailuresBeforeEviction=0", "MaxFailuresBeforeEviction")]
    [DataRow("Routing.PingOldestAfter=-1", "PingOldestAfter")]
    [DataRow("Routing.BucketRefreshInterval=0", "BucketRefreshInterval")]
    [DataRow("Routing.MaxContactsPerSubnetPerBucket=-1", "MaxContactsPerSubnetPerBucket")]
    [DataRow("Routing.MaxContactsPerSubnetInTable=-1", "MaxContactsPerSubnetInTable")]
    public void Validate_BadOption_ThrowsNamingIt(string change, string option)
    {
        var options = new EngineOptions();
        Apply(options, change);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate, change);
        Assert.AreEqual(option, e.ParamName, change);
        Assert.Contains(option, e.Message, change);

        // The engine validates on construction.
        using var identity = BoundsFixture.IdentityFor(1, 1);
        using var crypto = new Dht.Security.NSecCryptoSuite(identity);
        var fromEngine = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DhtEngine(options, crypto, 1, Instant.Zero), change);
        Assert.AreEqual(option, fromEngine.ParamName, change);
    }

    [TestMethod]
    public void Validate_EveryBoundAtItsLimit_Accepted()
    {
        var options = new EngineOptions
        {
            K = 64,
            Alpha = 16,
            MaxValueSize = WireConstants.MaxValueSize,
            RecordTtl = TimeSpan.FromSeconds(10),
            RepublishInterval = TimeSpan.FromSeconds(9),
            MinRequestTimeout = TimeSpan.FromSeconds(1),
            MaxRequestTimeout = TimeSpan.FromSeconds(1),
            InitialRequestTimeout = TimeSpan.FromSeconds(1),
            OperationTimeout = TimeSpan.FromSeconds(1) + TimeSpan.FromTicks(1),
            MaxPendingRequests = 16,
            MaxSessions = 16,
            ReplayWindow = 1024,
            MaxConcurrentOperations = 1,
            MaxTransmitQueue = 64,
            MaxLookupCandidates = 64,
            MaxVerificationsInFlight = 0,
            MaxMaintenanceOperations = 1,
            NewSessionsPerSecond = 1,
            Routing = new RoutingOptions { ReplacementCacheSize = 0, PingOldestAfter = TimeSpan.Zero, MaxContactsPerSubnetInTable = 0, MaxContactsPerSubnetPerBucket = 0 },
        };
        options.Validate();
        options.K = 1;
        options.Alpha = 1;
        options.MaxValueSize = 1;
        options.ReplayWindow = 1;
        options.RecordTtl = TimeSpan.FromDays(7);
        options.Validate();
    }

    /// <summary>
    /// Every engine validates its options, and the simulator creates up to a million engines from one set: a valid set
    /// must cost no allocation (no boxed value, no message formatted in case the check failed).
    /// </summary>
    [TestMethod]
    public void Validate_ValidOptions_AllocatesNothing()
    {
        var options = new EngineOptions();
        options.Validate(); // the rules that name a bound are formatted once, on first use
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            options.Validate();
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.AreEqual(0L, allocated, $"100 validations of a valid set allocated {allocated} bytes");
    }

    private static void Apply(EngineOptions o, string change)
    {
        switch (change)
        {
            case "K=0": o.K = 0; break;
            case "K=65": o.K = 65; o.MaxLookupCandidates = 1000; break;
            case "Alpha=0": o.Alpha = 0; break;
            case "Alpha=17": o.Alpha = 17; break;
            case "MaxValueSize=0": o.MaxValueSize = 0; break;
            case "MaxValueSize=1008": o.MaxValueSize = WireConstants.MaxValueSize + 1; break;
            case "RecordTtl=9s": o.RecordTtl = TimeSpan.FromSeconds(9); break;
            case "RecordTtl=8d": o.RecordTtl = TimeSpan.FromDays(8); break;
            case "RepublishInterval=0": o.RepublishInterval = TimeSpan.Zero; break;
            case "RepublishInterval=RecordTtl": o.RepublishInterval = o.RecordTtl; break;
            case "ReplicationInterval=0": o.ReplicationInterval = TimeSpan.Zero; break;
            case "MaintenanceInterval=0": o.MaintenanceInterval = TimeSpan.Zero; break;
            case "MinRequestTimeout=0": o.MinRequestTimeout = TimeSpan.Zero; break;
            case "MinRequestTimeout>Max": o.MinRequestTimeout = o.MaxRequestTimeout + TimeSpan.FromTicks(1); break;
            case "InitialRequestTimeout<Min": o.InitialRequestTimeout = o.MinRequestTimeout - TimeSpan.FromTicks(1); break;
            case "InitialRequestTimeout>Max": o.InitialRequestTimeout = o.MaxRequestTimeout + TimeSpan.FromTicks(1); break;
            case "OperationTimeout=MaxRequestTimeout": o.OperationTimeout = o.MaxRequestTimeout; break;
            case "TokenRotation=0": o.TokenRotation = TimeSpan.Zero; break;
            case "MaxPendingRequests=15": o.MaxPendingRequests = 15; break;
            case "MaxSessions=15": o.MaxSessions = 15; break;
            case "MaxSessions=65536": o.MaxSessions = 65536; break;
            case "ReplayWindow=0": o.ReplayWindow = 0; break;
            case "ReplayWindow=1025": o.ReplayWindow = 1025; break;
            case "SessionIdleTimeout<1s": o.SessionIdleTimeout = TimeSpan.FromMilliseconds(999); break;
            case "MaxConcurrentOperations=0": o.MaxConcurrentOperations = 0; break;
            case "MaxTransmitQueue=63": o.MaxTransmitQueue = 63; break;
            case "MaxLookupCandidates=K-1": o.MaxLookupCandidates = o.K - 1; break;
            case "MaxVerificationsInFlight=-1": o.MaxVerificationsInFlight = -1; break;
            case "MaxMaintenanceOperations=0": o.MaxMaintenanceOperations = 0; break;
            case "NewSessionsPerSecond=0": o.NewSessionsPerSecond = 0; break;
            case "StoreLimits.MaxRecords=0": o.StoreLimits = new RecordStoreLimits { MaxRecords = 0 }; break;
            case "StoreLimits.MaxTotalBytes=0": o.StoreLimits = new RecordStoreLimits { MaxTotalBytes = 0 }; break;
            case "StoreLimits.MaxRecordsPerSource=0": o.StoreLimits = new RecordStoreLimits { MaxRecordsPerSource = 0 }; break;
            case "StoreLimits.MaxTtl=0": o.StoreLimits = new RecordStoreLimits { MaxTtl = TimeSpan.Zero }; break;
            case "Routing.K=0": o.Routing.K = 0; break;
            case "Routing.ReplacementCacheSize=-1": o.Routing.ReplacementCacheSize = -1; break;
            case "Routing.MaxFailuresBeforeEviction=0": o.Routing.MaxFailuresBeforeEviction = 0; break;
            case "Routing.PingOldestAfter=-1": o.Routing.PingOldestAfter = TimeSpan.FromTicks(-1); break;
            case "Routing.BucketRefreshInterval=0": o.Routing.BucketRefreshInterval = TimeSpan.Zero; break;
            case "Routing.MaxContactsPerSubnetPerBucket=-1": o.Routing.MaxContactsPerSubnetPerBucket = -1; break;
            case "Routing.MaxContactsPerSubnetInTable=-1": o.Routing.MaxContactsPerSubnetInTable = -1; break;
            default: throw new ArgumentException($"unknown change {change}", nameof(change));
        }
    }
}
