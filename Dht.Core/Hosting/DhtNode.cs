using System.Net;
using System.Security.Cryptography;
using System.Threading.Channels;
using Dht.Protocol;
using Dht.Records;
using Dht.Security;
using Dht.Transport;

namespace Dht;

/// <summary>
/// A running DHT node: one UDP socket, one loop that owns the protocol engine, and an async API.
/// </summary>
/// <remarks>
/// All methods are thread-safe: they post commands to the node's loop and complete when the engine reports the outcome.
/// Continuations never run on the loop. Dispose with <c>await using</c> to stop the node and release its socket.
/// </remarks>
public sealed partial class DhtNode : IAsyncDisposable, IDatagramSink
{
    private readonly DhtEngine _engine;
    private readonly IDatagramTransport _transport;
    private readonly TimeProvider _time;
    private readonly Channel<LoopItem> _inbox = Channel.CreateUnbounded<LoopItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<long, TaskCompletionSource<EngineEvent>> _waiters = [];
    private readonly System.Collections.Concurrent.ConcurrentQueue<byte[]> _freeBuffers = new();
    private readonly ITimer _timer;
    private readonly long _startTimestamp;
    private readonly int _receiveQueueCapacity;
    private readonly int _maxValueSize;
    private readonly int _signedGetQuorum;
    private readonly NSecCryptoSuite _crypto;
    private readonly Task _loop;
    private readonly byte[] _sendBuffer = new byte[Wire.WireConstants.MaxDatagramSize];
    private Instant? _armedFor;
    private int _queuedDatagrams;
    private long _receiveQueueDrops;
    private int _disposed;
    private Exception? _loopFault;

    private DhtNode(DhtIdentity identity, DhtNodeOptions options, IDatagramTransport transport, TimeProvider time, ulong seed)
    {
        _transport = transport;
        _time = time;
        _startTimestamp = time.GetTimestamp();
        _receiveQueueCapacity = options.ReceiveQueueCapacity;
        _maxValueSize = options.MaxValueSize;
        _signedGetQuorum = options.SignedGetQuorum;
        _crypto = new NSecCryptoSuite(identity);
        _engine = new DhtEngine(ToEngineOptions(options), _crypto, seed, Now(), options.RecordStore);
        Id = identity.Id;
        _timer = time.CreateTimer(static state => ((DhtNode)state!).Post(new LoopItem(LoopItemKind.Tick)), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _loop = Task.Run(RunLoopAsync);
        transport.Start(this);
    }

    /// <summary>This node's id (its Ed25519 public key).</summary>
    public NodeId Id { get; }

    /// <summary>The UDP endpoints the node is bound to (port resolved when 0 was asked for).</summary>
    public IReadOnlyList<IPEndPoint> LocalEndPoints => _transport.LocalEndPoints;

    /// <summary>Starts a node on UDP.</summary>
    /// <param name="identity">The node's identity; the caller keeps ownership and must keep it alive while the node runs.</param>
    /// <param name="options">Settings; null for defaults.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running node.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The port could not be bound.</exception>
    public static ValueTask<DhtNode> StartAsync(DhtIdentity identity, DhtNodeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(identity);
        cancellationToken.ThrowIfCancellationRequested();
        options ??= new DhtNodeOptions();
        ValidateOptions(options);
        var transport = new UdpTransport(options.BindAddress, options.Port);
        try
        {
            return ValueTask.FromResult(new DhtNode(identity, options, transport, TimeProvider.System, RandomSeed()));
        }
        catch
        {
            transport.Dispose();
            throw;
        }
    }

    /// <summary>Starts a node on a given transport and clock (tests, in-memory networks).</summary>
    internal static DhtNode Start(DhtIdentity identity, DhtNodeOptions options, IDatagramTransport transport, TimeProvider time, ulong seed)
    {
        ValidateOptions(options);
        return new DhtNode(identity, options, transport, time, seed);
    }

    /// <summary>Joins the network through the given nodes: looks up its own id and fills the routing table.</summary>
    /// <param name="peers">Nodes to contact first.</param>
    /// <param name="cancellationToken">Cancels the wait (the node keeps what it learned).</param>
    /// <returns>The number of verified contacts in the routing table afterwards.</returns>
    public async ValueTask<int> BootstrapAsync(IEnumerable<DhtPeer> peers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peers);
        var seeds = peers.Select(p => p is null
            ? throw new ArgumentException("The peer list contains null.", nameof(peers))
            : (PeerAddress.FromEndPoint(p.EndPoint), p.Id)).ToList();
        if (seeds.Count == 0)
        {
            throw new ArgumentException("At least one bootstrap peer is needed.", nameof(peers));
        }

        var result = await RunOperationAsync((e, now) => e.StartBootstrap(now, seeds), cancellationToken).ConfigureAwait(false);
        return ((BootstrapCompleted)result).RoutingTableSize;
    }

    /// <summary>Stores an immutable value on the k nodes closest to its key, SHA-256(value).</summary>
    /// <param name="value">The value (1 byte to <see cref="DhtNodeOptions.MaxValueSize"/>).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The key and how many nodes acknowledged.</returns>
    public async ValueTask<PutResult> PutAsync(ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        CheckValue(value, nameof(value));
        var record = DhtRecord.CreateImmutable(value);
        var result = await RunOperationAsync((e, now) => e.StartPut(now, record, null), cancellationToken).ConfigureAwait(false);
        return ((PutCompleted)result).Result;
    }

    /// <summary>Finds an immutable value by its key; the value is checked against the key before it is returned.</summary>
    /// <param name="key">SHA-256 of the value, as returned by <see cref="PutAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The value, or null when no node has it.</returns>
    public async ValueTask<byte[]?> GetAsync(NodeId key, CancellationToken cancellationToken = default)
    {
        var result = (GetCompleted)await RunOperationAsync((e, now) => e.StartGet(now, key, 1), cancellationToken).ConfigureAwait(false);
        return result.Record is { IsMutable: false } record ? record.Value.ToArray() : null;
    }

    /// <summary>Signs and stores a mutable record under SHA-256(public key || salt), BEP 44 style.</summary>
    /// <param name="signer">The key that signs the record; readers name the record by its public key.</param>
    /// <param name="value">The value (up to <see cref="DhtNodeOptions.MaxValueSize"/> bytes).</param>
    /// <param name="options">Salt, explicit sequence number, compare-and-swap; null for defaults.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The key and how many nodes acknowledged; refusals (stale sequence, CAS mismatch) are counted by reason.</returns>
    public async ValueTask<PutResult> PutSignedAsync(DhtIdentity signer, ReadOnlyMemory<byte> value, SignedPutOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signer);
        CheckValue(value, nameof(value), allowEmpty: true);
        options ??= new SignedPutOptions();
        CheckSalt(options.Salt, nameof(options));
        if (options.Sequence is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Sequence, "SignedPutOptions.Sequence must not be negative.");
        }

        var sequence = options.Sequence;
        if (sequence is null)
        {
            var current = await GetSignedAsync(signer.PublicKey, options.Salt, cancellationToken).ConfigureAwait(false);
            sequence = current is null ? 1 : checked(current.Sequence + 1);
        }

        var record = DhtRecord.CreateSigned(signer, value, sequence.Value, options.Salt);
        var cas = options.CompareAndSwap;
        var result = await RunOperationAsync((e, now) => e.StartPut(now, record, cas), cancellationToken).ConfigureAwait(false);
        return ((PutCompleted)result).Result;
    }

    /// <summary>Finds the signed record with the highest sequence number for a public key and salt. Signatures are verified first.</summary>
    /// <param name="publicKey">The writer's 32-byte Ed25519 public key.</param>
    /// <param name="salt">The salt the record was published with (empty for none).</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The record, or null when none was found.</returns>
    public async ValueTask<DhtRecord?> GetSignedAsync(ReadOnlyMemory<byte> publicKey, ReadOnlyMemory<byte> salt = default, CancellationToken cancellationToken = default)
    {
        if (publicKey.Length != 32)
        {
            throw new ArgumentException($"An Ed25519 public key is 32 bytes; got {publicKey.Length}.", nameof(publicKey));
        }

        CheckSalt(salt, nameof(salt));
        var key = DhtRecord.MutableKey(publicKey.Span, salt.Span);
        var quorum = _signedGetQuorum;
        var result = (GetCompleted)await RunOperationAsync((e, now) => e.StartGet(now, key, quorum), cancellationToken).ConfigureAwait(false);
        return result.Record is { IsMutable: true } record ? record : null;
    }

    /// <summary>Reads the node's id, endpoints, routing table size and counters.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A snapshot.</returns>
    public async ValueTask<DhtNodeInfo> GetInfoAsync(CancellationToken cancellationToken = default)
    {
        var tcs = new TaskCompletionSource<DhtNodeInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        PostCommand((e, _) =>
        {
            var drops = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (var (name, count) in e.Stats.DropsByReason())
            {
                drops[name] = count;
            }

            var queueDrops = Interlocked.Read(ref _receiveQueueDrops);
            if (queueDrops > 0)
            {
                drops["ReceiveQueueFull"] = queueDrops;
            }

            tcs.TrySetResult(new DhtNodeInfo(Id, LocalEndPoints, e.RoutingTableSize, e.StoredRecords, e.Stats.DatagramsReceived,
                e.Stats.DatagramsSent, e.Stats.DroppedTotal + queueDrops, drops, e.Stats.RecordsRejected));
        });
        using var registration = cancellationToken.Register(() => tcs.TrySetCanceled(cancellationToken));
        return await tcs.Task.ConfigureAwait(false);
    }

    /// <summary>Stops the node: pending operations fail with <see cref="ObjectDisposedException"/>, the socket closes.</summary>
    /// <returns>A task that completes when the loop has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _transport.Dispose();
        _inbox.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        await _timer.DisposeAsync().ConfigureAwait(false);
        _engine.Dispose();
        _crypto.Dispose();
    }

    void IDatagramSink.OnDatagram(PeerAddress from, ReadOnlySpan<byte> datagram)
    {
        if (Interlocked.Increment(ref _queuedDatagrams) > _receiveQueueCapacity)
        {
            Interlocked.Decrement(ref _queuedDatagrams);
            Interlocked.Increment(ref _receiveQueueDrops);
            return;
        }

        var buffer = datagram.Length <= Wire.WireConstants.MaxDatagramSize + 1 ? RentBuffer() : new byte[datagram.Length];
        datagram.CopyTo(buffer);
        if (!_inbox.Writer.TryWrite(new LoopItem(LoopItemKind.Datagram, from, buffer, datagram.Length)))
        {
            Interlocked.Decrement(ref _queuedDatagrams);
            ReturnBuffer(buffer);
        }
    }

    private static ulong RandomSeed()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes);
    }

    private void CheckValue(ReadOnlyMemory<byte> value, string name, bool allowEmpty = false)
    {
        if (value.Length == 0 && !allowEmpty)
        {
            throw new ArgumentException("The value is empty; an immutable value needs at least 1 byte.", name);
        }

        if (value.Length > _maxValueSize)
        {
            throw new ArgumentException($"The value is {value.Length} bytes; this node's MaxValueSize is {_maxValueSize}.", name);
        }
    }

    private static void CheckSalt(ReadOnlyMemory<byte> salt, string name)
    {
        if (salt.Length > Wire.WireConstants.MaxSaltSize)
        {
            throw new ArgumentException($"The salt is {salt.Length} bytes; at most {Wire.WireConstants.MaxSaltSize} are allowed.", name);
        }
    }

    private static void ValidateOptions(DhtNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.BindAddress, nameof(options.BindAddress));
        if (options.Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Port, $"Port must be between 0 and 65535; got {options.Port}.");
        }

        if (options.ReceiveQueueCapacity < 16)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.ReceiveQueueCapacity, $"ReceiveQueueCapacity must be at least 16; got {options.ReceiveQueueCapacity}.");
        }

        if (options.SignedGetQuorum is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.SignedGetQuorum, $"SignedGetQuorum must be between 1 and 64; got {options.SignedGetQuorum}.");
        }

        ToEngineOptions(options).Validate();
    }

    private static EngineOptions ToEngineOptions(DhtNodeOptions o) => new()
    {
        K = o.K,
        Alpha = o.Alpha,
        MaxValueSize = o.MaxValueSize,
        RecordTtl = o.RecordTtl,
        RepublishInterval = o.RepublishInterval,
        ReplicationInterval = o.ReplicationInterval,
        InitialRequestTimeout = o.InitialRequestTimeout,
        OperationTimeout = o.OperationTimeout,
        MaxConcurrentOperations = o.MaxConcurrentOperations,
        PutReturnQuorum = o.PutReturnQuorum,
        StoreLimits = new RecordStoreLimits { MaxRecords = o.MaxRecords, MaxTotalBytes = o.MaxStoreBytes, MaxRecordsPerSource = o.MaxRecordsPerSource },
        Routing = new Routing.RoutingOptions
        {
            K = o.K,
            BucketSplitBits = o.BucketSplitBits,
            MaxContactsPerSubnetPerBucket = o.MaxContactsPerSubnetPerBucket,
            MaxContactsPerSubnetInTable = o.MaxContactsPerSubnetInTable,
        },
    };
}
