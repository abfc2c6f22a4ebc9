using Dht.Protocol;
using Dht.Records;

namespace Dht.Tests.Records;

[TestClass]
public sealed class RecordStorageTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly Instant T0 = Instant.FromSeconds(1000);
    private static readonly NodeId Local = NodeId.Parse(new string('1', 64));
    private static readonly NodeId PeerA = NodeId.Parse(new string('a', 64));
    private static readonly NodeId PeerB = NodeId.Parse(new string('b', 64));

    private static DhtIdentity _signer = null!;

    [ClassInitialize]
    public static void Initialize(TestContext context)
    {
        _ = context;
        _signer = DhtIdentity.Generate();
    }

    [ClassCleanup]
    public static void Cleanup() => _signer.Dispose();

    [TestMethod]
    public void TryStore_NewRecord_StoredWithSourceAndExpiry()
    {
        var storage = NewStorage();
        var record = Signed("v", 1);

        Assert.AreEqual(RecordRejection.None, storage.TryStore(record, null, PeerA, false, T0, Hour));

        Assert.IsTrue(storage.TryGet(record.Key, T0, out var stored));
        Assert.AreSame(record, stored.Record);
        Assert.AreEqual(PeerA, stored.Source);
        Assert.IsFalse(stored.IsLocal);
        Assert.AreEqual(T0.Ticks, stored.StoredAtTicks);
        Assert.AreEqual((T0 + Hour).Ticks, stored.ExpiresAtTicks);
        Assert.AreEqual(1, storage.CountFromSource(PeerA));
        Assert.AreEqual(record.SizeInBytes, storage.TotalBytes);
    }

    [TestMethod]
    public void TryStore_CasMismatchAndLowerSeq_CasCheckedFirst()
    {
        var storage = NewStorage();
        Store(ref storage, Signed("v5", 5));

        Assert.AreEqual(RecordRejection.CasMismatch, storage.TryStore(Signed("v4", 4), 3, PeerA, false, T0, Hour));
        Assert.AreEqual(RecordRejection.SequenceTooLow, storage.TryStore(Signed("v4", 4), 5, PeerA, false, T0, Hour));
        Assert.AreEqual(RecordRejection.CasMismatch, storage.TryStore(Signed("v7", 7), 6, PeerA, false, T0, Hour));
        Assert.AreEqual(RecordRejection.None, storage.TryStore(Signed("v7", 7), 5, PeerA, false, T0, Hour));
        Assert.AreEqual(7L, Get(ref storage, Signed("v", 0).Key).Record.Sequence);
    }

    [TestMethod]
    public void TryStore_CasWithNothingStored_Ignored()
    {
        var storage = NewStorage();
        Assert.AreEqual(RecordRejection.None, storage.TryStore(Signed("v", 1), 99, PeerA, false, T0, Hour));
    }

    [TestMethod]
    public void TryStore_CasZeroMatchingStoredSeqZero_Accepted()
    {
        var storage = NewStorage();
        Store(ref storage, Signed("v0", 0));
        Assert.AreEqual(RecordRejection.None, storage.TryStore(Signed("v1", 1), 0, PeerA, false, T0, Hour));
    }

    [TestMethod]
    public void TryStore_LowerSeq_SequenceTooLow()
    {
        var storage = NewStorage();
        Store(ref storage, Signed("v", 5));
        Assert.AreEqual(RecordRejection.SequenceTooLow, storage.TryStore(Signed("v", 4), null, PeerA, false, T0, Hour));
    }

    [TestMethod]
    public void TryStore_EqualSeqDifferentValue_SequenceConflictAndOldValueKept()
    {
        var storage = NewStorage();
        var original = Signed("one", 5);
        Store(ref storage, original);

        Assert.AreEqual(RecordRejection.SequenceConflict, storage.TryStore(Signed("two", 5), null, PeerA, false, T0, Hour));
        Assert.AreSame(original, Get(ref storage, original.Key).Record);
    }

    [TestMethod]
    public void TryStore_EqualSeqEqualValue_RefreshKeepsLaterExpiry()
    {
        var storage = NewStorage();
        var record = Signed("v", 5);
        Store(ref storage, record);
        var later = T0 + TimeSpan.FromMinutes(30);

        Assert.AreEqual(RecordRejection.None, storage.TryStore(Signed("v", 5), null, PeerB, false, later, TimeSpan.FromMinutes(10)));
        var stored = Get(ref storage, record.Key, later);
        Assert.AreEqual((T0 + Hour).Ticks, stored.ExpiresAtTicks, "a shorter refresh must not shorten the lifetime");
        Assert.AreEqual(PeerA, stored.Source, "a refresh does not take the record over");
        Assert.AreEqual(T0.Ticks, stored.StoredAtTicks);

        Assert.AreEqual(RecordRejection.None, storage.TryStore(Signed("v", 5), null, PeerB, false, later, 2 * Hour));
        Assert.AreEqual((later + 2 * Hour).Ticks, Get(ref storage, record.Key, later).ExpiresAtTicks);
        Assert.AreEqual(1, storage.Count);
        Assert.AreEqual(1, storage.CountFromSource(PeerA));
        Assert.AreEqual(0, storage.CountFromSource(PeerB));
    }

    [TestMethod]
    public void TryStore_ImmutableAgain_RefreshesExpiry()
    {
        var storage = NewStorage();
        var record = DhtRecord.CreateImmutable("data"u8.ToArray());
        Store(ref storage, record);
        var later = T0 + TimeSpan.FromMinutes(50);

        Assert.AreEqual(RecordRejection.None, storage.TryStore(DhtRecord.CreateImmutable("data"u8.ToArray()), null, PeerB, false, later, Hour));

        Assert.AreEqual((later + Hour).Ticks, Get(ref storage, record.Key, later).ExpiresAtTicks);
        Assert.AreEqual(record.SizeInBytes, storage.TotalBytes);
    }

    [TestMethod]
    public void TryStore_MaxRecordsReached_StoreFullButReplaceAllowed()
    {
        var storage = NewStorage(new RecordStoreLimits { MaxRecords = 2 });
        Store(ref storage, DhtRecord.CreateImmutable("a"u8.ToArray()));
        Store(ref storage, Signed("v", 1));

        Assert.AreEqual(RecordRejection.StoreFull, storage.TryStore(DhtRecord.CreateImmutable("c"u8.ToArray()), null, PeerB, false, T0, Hour));
        Assert.AreEqual(RecordRejection.StoreFull, storage.TryStore(DhtRecord.CreateImmutable("c"u8.ToArray()), null, Local, true, T0, Hour));
        Assert.AreEqual(RecordRejection.None, storage.TryStore(Signed("v", 2), null, PeerA, false, T0, Hour));
        Assert.AreEqual(RecordRejection.None, storage.TryStore(DhtRecord.CreateImmutable("a"u8.ToArray()), null, PeerA, false, T0, Hour));
        Assert.AreEqual(2, storage.Count);
    }

    [TestMethod]
    public void TryStore_MaxTotalBytes_CountsReplacementOnce()
    {
        var storage = NewStorage(new RecordStoreLimits { MaxTotalBytes = 300 });
        Store(ref storage, Signed("0123456789", 1)); // 10 + 32 + 64 = 106 bytes

        Assert.AreEqual(RecordRejection.StoreFull, storage.TryStore(DhtRecord.CreateImmutable(new byte[195]), null, PeerB, false, T0, Hour));
        Assert.AreEqual(RecordRejection.None, storage.TryStore(DhtRecord.CreateImmutable(new byte[194]), null, PeerB, false, T0, Hour));
        Assert.AreEqual(300, storage.TotalBytes);

        // 300 - 106 + 106 fits; 300 - 106 + 107 does not.
        Assert.AreEqual(RecordRejection.None, storage.TryStore(Signed("abcdefghij", 2), null, PeerA, false, T0, Hour));
        Assert.AreEqual(RecordRejection.StoreFull, storage.TryStore(Signed("abcdefghijk", 3), null, PeerA, false, T0, Hour));
    }

    [TestMethod]
    public void TryStore_LocalRecordOverByteBound_StoreFull()
    {
        var storage = NewStorage(new RecordStoreLimits { MaxTotalBytes = 100 });
        Assert.AreEqual(RecordRejection.StoreFull, storage.TryStore(DhtRecord.CreateImmutable(new byte[101]), null, Local, true, T0, Hour));
    }

    [TestMethod]
    public void TryStore_PerSourceQuota_RejectsOnlyThatSourceAndExemptsLocal()
    {
        var storage = NewStorage(new RecordStoreLimits { MaxRecordsPerSource = 2 });
        Assert.AreEqual(RecordRejection.None, storage.TryStore(Immutable(1), null, PeerA, false, T0, Hour));
        Assert.AreEqual(RecordRejection.None, storage.TryStore(Immutable(2), null, PeerA, false, T0, Hour));

        Assert.AreEqual(RecordRejection.SourceQuotaExceeded, storage.TryStore(Immutable(3), null, PeerA, false, T0, Hour));
        Assert.AreEqual(RecordRejection.None, storage.TryStore(Immutable(3), null, PeerB, false, T0, Hour));
        for (var i = 10; i < 15; i++)
        {
            Assert.AreEqual(RecordRejection.None, storage.TryStore(Immutable(i), null, Local, true, T0, Hour), $"local record {i}");
        }

        Assert.AreEqual(2, storage.CountFromSource(PeerA));
        Assert.AreEqual(1, storage.CountFromSource(PeerB));
        Assert.AreEqual(0, storage.CountFromSource(Local));
    }

    [TestMethod]
    public void TryStore_ReplaceBySameSourceAtQuota_AcceptedAndCountedOnce()
    {
        var storage = NewStorage(new RecordStoreLimits { MaxRecordsPerSource = 1 });
        Store(ref storage, Signed("v", 1));
        Assert.AreEqual(RecordRejection.None, storage.TryStore(Signed("v", 2), null, PeerA, false, T0, Hour));
        Assert.AreEqual(1, storage.CountFromSource(PeerA));
    }

    [TestMethod]
    public void TryStore_ReplaceByOtherSource_MovesQuota()
    {
        var storage = NewStorage(new RecordStoreLimits { MaxRecordsPerSource = 1 });
        Store(ref storage, Signed("v", 1));
        Assert.AreEqual(RecordRejection.None, storage.TryStore(Immutable(1), null, PeerB, false, T0, Hour));

        Assert.AreEqual(RecordRejection.SourceQuotaExceeded, storage.TryStore(Signed("v", 2), null, PeerB, false, T0, Hour));

        var storage2 = NewStorage(new RecordStoreLimits { MaxRecordsPerSource = 1 });
        Store(ref storage2, Signed("v", 1));
        Assert.AreEqual(RecordRejection.None, storage2.TryStore(Signed("v", 2), null, PeerB, false, T0, Hour));
        Assert.AreEqual(0, storage2.CountFromSource(PeerA));
        Assert.AreEqual(1, storage2.CountFromSource(PeerB));
        Assert.AreEqual(PeerB, Get(ref storage2, Signed("v", 0).Key).Source);
    }

    [TestMethod]
    public void TryStore_LocalRecordReplacedByRemote_StaysLocalAndUncounted()
    {
        var storage = NewStorage();
        Assert.AreEqual(RecordRejection.None, storage.TryStore(Signed("v", 1), null, Local, true, T0, Hour));
        Assert.AreEqual(RecordRejection.None, storage.TryStore(Signed("v", 2), null, PeerA, false, T0, Hour));

        var stored = Get(ref storage, Signed("v", 0).Key);
        Assert.IsTrue(stored.IsLocal);
        Assert.AreEqual(Local, stored.Source);
        Assert.AreEqual(2L, stored.Record.Sequence);
        Assert.AreEqual(0, storage.CountFromSource(PeerA));
    }

    [TestMethod]
    public void TryStore_RemoteRecordRefreshedLocally_BecomesLocalAndLeavesQuota()
    {
        var storage = NewStorage();
        Store(ref storage, Signed("v", 1));
        Assert.AreEqual(RecordRejection.None, storage.TryStore(Signed("v", 1), null, Local, true, T0, Hour));

        var stored = Get(ref storage, Signed("v", 0).Key);
        Assert.IsTrue(stored.IsLocal);
        Assert.AreEqual(Local, stored.Source);
        Assert.AreEqual(0, storage.CountFromSource(PeerA));
    }

    [TestMethod]
    public void Remove_RemoteRecord_DecrementsSourceCount()
    {
        var storage = NewStorage();
        var record = Signed("v", 1);
        Store(ref storage, record);

        Assert.IsTrue(storage.Remove(record.Key));
        Assert.IsFalse(storage.Remove(record.Key));
        Assert.AreEqual(0, storage.CountFromSource(PeerA));
        Assert.AreEqual(0, storage.Count);
        Assert.AreEqual(0, storage.TotalBytes);
    }

    [TestMethod]
    public void TryGet_AtExpiry_ReturnsFalse()
    {
        var storage = NewStorage();
        var record = Signed("v", 1);
        Store(ref storage, record);

        Assert.IsTrue(storage.TryGet(record.Key, T0 + Hour - TimeSpan.FromTicks(1), out _));
        Assert.IsFalse(storage.TryGet(record.Key, T0 + Hour, out var expired));
        Assert.IsNull(expired);
    }

    [TestMethod]
    public void RemoveExpired_MixedLifetimes_RemovesOnlyExpiredAndFixesCounts()
    {
        var storage = NewStorage();
        Assert.AreEqual(RecordRejection.None, storage.TryStore(Immutable(1), null, PeerA, false, T0, Hour));
        Assert.AreEqual(RecordRejection.None, storage.TryStore(Immutable(2), null, PeerA, false, T0, 3 * Hour));
        Assert.AreEqual(RecordRejection.None, storage.TryStore(Immutable(3), null, Local, true, T0, Hour));

        Assert.AreEqual(2, storage.RemoveExpired(T0 + 2 * Hour));

        Assert.AreEqual(1, storage.Count);
        Assert.AreEqual(1, storage.CountFromSource(PeerA));
        Assert.AreEqual(0, storage.RemoveExpired(T0 + 2 * Hour));
    }

    [TestMethod]
    public void RemoveExpired_NothingDueYet_DoesNotScanTheStore()
    {
        var store = new ScanCountingStore();
        store.Upsert(new StoredRecord(Immutable(9), PeerB, false, 0, (T0 + 4 * Hour).Ticks)); // loaded from disk
        var storage = new RecordStorage(store, new RecordStoreLimits());
        Assert.AreEqual(RecordRejection.None, storage.TryStore(Immutable(1), null, PeerA, false, T0, 2 * Hour));
        Assert.AreEqual(RecordRejection.None, storage.TryStore(Immutable(2), null, PeerA, false, T0, 3 * Hour));
        var scans = store.Scans;

        // Nothing expires before 2 h: no scan. At 2 h one record goes, and the next bound is 3 h.
        Assert.AreEqual(0, storage.RemoveExpired(T0 + Hour));
        Assert.AreEqual(0, storage.RemoveExpired(T0 + 2 * Hour - TimeSpan.FromTicks(1)));
        Assert.AreEqual(scans, store.Scans, "no scan before the earliest expiry");
        Assert.AreEqual(1, storage.RemoveExpired(T0 + 2 * Hour));
        Assert.AreEqual(scans + 1, store.Scans);
        Assert.AreEqual(0, storage.RemoveExpired(T0 + 3 * Hour - TimeSpan.FromTicks(1)));
        Assert.AreEqual(scans + 1, store.Scans);

        // A write with an earlier expiry (a replacement with a shorter TTL) lowers the bound at once.
        Assert.AreEqual(RecordRejection.None, storage.TryStore(Immutable(3), null, PeerA, false, T0 + 2 * Hour, TimeSpan.FromMinutes(10)));
        Assert.AreEqual(1, storage.RemoveExpired(T0 + 2 * Hour + TimeSpan.FromMinutes(10)));
        Assert.AreEqual(1, storage.RemoveExpired(T0 + 3 * Hour));
        Assert.AreEqual(1, storage.RemoveExpired(T0 + 4 * Hour), "the record loaded from the store counts too");
        Assert.AreEqual(0, storage.Count);
    }

    private sealed class ScanCountingStore : IRecordStore
    {
        private readonly InMemoryRecordStore _inner = new();

        public int Scans { get; private set; }

        public int Count => _inner.Count;

        public long TotalBytes => _inner.TotalBytes;

        public bool TryGet(NodeId key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out StoredRecord record) => _inner.TryGet(key, out record);

        public void Upsert(StoredRecord record) => _inner.Upsert(record);

        public bool Remove(NodeId key) => _inner.Remove(key);

        public IEnumerable<StoredRecord> EnumerateByKey()
        {
            Scans++;
            return _inner.EnumerateByKey();
        }
    }

    [TestMethod]
    public void TryStore_OverExpiredRecord_TreatedAsAbsent()
    {
        var storage = NewStorage(new RecordStoreLimits { MaxRecordsPerSource = 1 });
        Store(ref storage, Signed("v", 5));
        var later = T0 + 2 * Hour;

        Assert.AreEqual(RecordRejection.None, storage.TryStore(Signed("v", 1), 42, PeerB, false, later, Hour));
        Assert.AreEqual(1L, Get(ref storage, Signed("v", 0).Key, later).Record.Sequence);
        Assert.AreEqual(0, storage.CountFromSource(PeerA));
    }

    [TestMethod]
    [DataRow(0L)]
    [DataRow(-1L)]
    public void TryStore_NonPositiveTtl_Expired(long ttlTicks)
    {
        var storage = NewStorage();
        Assert.AreEqual(RecordRejection.Expired, storage.TryStore(Signed("v", 1), null, PeerA, false, T0, TimeSpan.FromTicks(ttlTicks)));
        Assert.AreEqual(0, storage.Count);
    }

    [TestMethod]
    public void TryStore_TtlOverMax_CutToMaxTtl()
    {
        var storage = NewStorage(new RecordStoreLimits { MaxTtl = 2 * Hour });
        var record = Signed("v", 1);
        Assert.AreEqual(RecordRejection.None, storage.TryStore(record, null, PeerA, false, T0, TimeSpan.FromDays(30)));
        Assert.AreEqual((T0 + 2 * Hour).Ticks, Get(ref storage, record.Key).ExpiresAtTicks);
    }

    [TestMethod]
    public void TryStore_ImmutableValueCollidingWithMutableKey_MutableWins()
    {
        var salt = "s"u8.ToArray();
        var mutable = DhtRecord.CreateSigned(_signer, "v"u8.ToArray(), 1, salt);
        var squatter = DhtRecord.CreateImmutable((byte[])[.. _signer.PublicKey.ToArray(), .. salt]);
        Assert.AreEqual(mutable.Key, squatter.Key);

        var storage = NewStorage();
        Store(ref storage, mutable);
        Assert.AreEqual(RecordRejection.KindConflict, storage.TryStore(squatter, null, PeerB, false, T0, Hour));

        var storage2 = NewStorage();
        Store(ref storage2, squatter);
        Assert.AreEqual(RecordRejection.None, storage2.TryStore(mutable, null, PeerB, false, T0, Hour));
        Assert.IsTrue(Get(ref storage2, mutable.Key).Record.IsMutable);
    }

    [TestMethod]
    public void EnumerateByKey_Records_AscendingKeysWithoutExpired()
    {
        var storage = NewStorage();
        for (var i = 0; i < 20; i++)
        {
            Assert.AreEqual(RecordRejection.None, storage.TryStore(Immutable(i), null, PeerA, false, T0, i == 7 ? TimeSpan.FromMinutes(1) : Hour));
        }

        var keys = storage.EnumerateByKey(T0 + TimeSpan.FromMinutes(2)).Select(r => r.Key).ToList();

        Assert.AreEqual(19, keys.Count);
        CollectionAssert.AreEqual(keys.Order().ToList(), keys);
        CollectionAssert.DoesNotContain(keys, Immutable(7).Key);
    }

    [TestMethod]
    public void Constructor_PopulatedStore_RebuildsPerSourceCounts()
    {
        var store = new InMemoryRecordStore();
        store.Upsert(new StoredRecord(Immutable(1), PeerA, false, 0, long.MaxValue));
        store.Upsert(new StoredRecord(Immutable(2), PeerA, false, 0, long.MaxValue));
        store.Upsert(new StoredRecord(Immutable(3), Local, true, 0, long.MaxValue));

        var storage = new RecordStorage(store, new RecordStoreLimits { MaxRecordsPerSource = 2 });

        Assert.AreEqual(2, storage.CountFromSource(PeerA));
        Assert.AreEqual(0, storage.CountFromSource(Local));
        Assert.AreEqual(RecordRejection.SourceQuotaExceeded, storage.TryStore(Immutable(4), null, PeerA, false, T0, Hour));
    }

    [TestMethod]
    [DataRow("MaxRecords")]
    [DataRow("MaxTotalBytes")]
    [DataRow("MaxRecordsPerSource")]
    [DataRow("MaxTtl")]
    public void Validate_NonPositiveLimit_ThrowsWithOptionName(string option)
    {
        var limits = option switch
        {
            "MaxRecords" => new RecordStoreLimits { MaxRecords = 0 },
            "MaxTotalBytes" => new RecordStoreLimits { MaxTotalBytes = -1 },
            "MaxRecordsPerSource" => new RecordStoreLimits { MaxRecordsPerSource = 0 },
            _ => new RecordStoreLimits { MaxTtl = TimeSpan.Zero },
        };

        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RecordStorage(new InMemoryRecordStore(), limits));
        Assert.AreEqual(option, ex.ParamName);
    }

    [TestMethod]
    public void Defaults_MatchDocumentedBounds()
    {
        var limits = new RecordStoreLimits();
        Assert.AreEqual(65_536, limits.MaxRecords);
        Assert.AreEqual(64L * 1024 * 1024, limits.MaxTotalBytes);
        Assert.AreEqual(256, limits.MaxRecordsPerSource);
        limits.Validate();
    }

    private static RecordStorage NewStorage(RecordStoreLimits? limits = null) =>
        new(new InMemoryRecordStore(), limits ?? new RecordStoreLimits());

    private static DhtRecord Signed(string value, long seq) =>
        DhtRecord.CreateSigned(_signer, System.Text.Encoding.ASCII.GetBytes(value), seq);

    private static DhtRecord Immutable(int i) => DhtRecord.CreateImmutable(BitConverter.GetBytes(i));

    private static void Store(ref RecordStorage storage, DhtRecord record) =>
        Assert.AreEqual(RecordRejection.None, storage.TryStore(record, null, PeerA, false, T0, Hour));

    private static StoredRecord Get(ref RecordStorage storage, NodeId key, Instant? now = null)
    {
        Assert.IsTrue(storage.TryGet(key, now ?? T0, out var stored), $"record {key} should be stored");
        return stored;
    }
}
