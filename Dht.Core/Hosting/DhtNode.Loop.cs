using Dht.Protocol;

namespace Dht;

public sealed partial class DhtNode
{
    private enum LoopItemKind : byte
    {
        Datagram,
        Command,
        Tick,
    }

    private readonly record struct LoopItem(LoopItemKind Kind, PeerAddress From = default, byte[]? Buffer = null, int Length = 0, Action<DhtEngine, Instant>? Command = null);

    /// <summary>
    /// Receive buffers come from the node's own free list, bounded by <see cref="DhtNodeOptions.ReceiveQueueCapacity"/>:
    /// the shared ArrayPool keeps only a few arrays per size and would allocate under bursts.
    /// </summary>
    private byte[] RentBuffer() => _freeBuffers.TryDequeue(out var buffer) ? buffer : new byte[Wire.WireConstants.MaxDatagramSize + 1];

    private void ReturnBuffer(byte[] buffer)
    {
        if (_freeBuffers.Count < _receiveQueueCapacity)
        {
            _freeBuffers.Enqueue(buffer);
        }
    }

    private Instant Now() => new(_time.GetElapsedTime(_startTimestamp).Ticks);

    private void Post(LoopItem item)
    {
        if (!_inbox.Writer.TryWrite(item) && item.Buffer is { } buffer)
        {
            ReturnBuffer(buffer);
        }
    }

    private void PostCommand(Action<DhtEngine, Instant> command)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!_inbox.Writer.TryWrite(new LoopItem(LoopItemKind.Command, Command: command)))
        {
            throw StoppedException();
        }
    }

    private Exception StoppedException() => Volatile.Read(ref _loopFault) is { } fault
        ? new DhtException($"The node stopped after an internal error: {fault.Message}", fault)
        : new ObjectDisposedException(nameof(DhtNode), "The node was stopped before the operation completed.");

    /// <summary>Starts an engine operation on the loop and waits for its completion event.</summary>
    private async Task<EngineEvent> RunOperationAsync(Func<DhtEngine, Instant, long> start, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var tcs = new TaskCompletionSource<EngineEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        long operationId = 0;
        PostCommand((engine, now) =>
        {
            operationId = start(engine, now);
            _waiters[operationId] = tcs;
        });

        await using var registration = cancellationToken.Register(() =>
        {
            if (tcs.TrySetCanceled(cancellationToken) && Volatile.Read(ref _disposed) == 0)
            {
                _inbox.Writer.TryWrite(new LoopItem(LoopItemKind.Command, Command: (engine, _) =>
                {
                    if (_waiters.Remove(operationId))
                    {
                        engine.Cancel(operationId);
                    }
                }));
            }
        }).ConfigureAwait(false);

        var result = await tcs.Task.ConfigureAwait(false);
        return result is OperationFailed failed ? throw new DhtException(failed.Reason) : result;
    }

    private async Task RunLoopAsync()
    {
        var reader = _inbox.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    Process(item);
                    Drain();
                }
            }
        }
        catch (Exception e)
        {
            // An exception here is a bug in the node, never a consequence of input (the engine drops bad datagrams).
            // Record it and close the inbox so every pending and later call fails with it instead of hanging.
            _loopFault = e;
            _inbox.Writer.TryComplete();
        }
        finally
        {
            while (reader.TryRead(out var item))
            {
                if (item.Buffer is { } buffer)
                {
                    ReturnBuffer(buffer);
                }
            }

            foreach (var waiter in _waiters.Values)
            {
                waiter.TrySetException(StoppedException());
            }

            _waiters.Clear();
        }
    }

    private void Process(LoopItem item)
    {
        var now = Now();
        switch (item.Kind)
        {
            case LoopItemKind.Datagram:
                Interlocked.Decrement(ref _queuedDatagrams);
                _engine.HandleDatagram(now, item.From, item.Buffer.AsSpan(0, item.Length));
                ReturnBuffer(item.Buffer!);
                break;
            case LoopItemKind.Command:
                item.Command!(_engine, now);
                break;
            case LoopItemKind.Tick:
                _armedFor = null;
                _engine.HandleTimeout(now);
                break;
        }
    }

    /// <summary>Drains the engine's outputs in the documented order: transmits, events, then the next timeout.</summary>
    private void Drain()
    {
        while (_engine.TryPollTransmit(_sendBuffer, out var to, out var length))
        {
            _transport.Send(to, _sendBuffer.AsSpan(0, length));
        }

        while (_engine.TryPollEvent(out var engineEvent))
        {
            if (_waiters.Remove(engineEvent!.OperationId, out var waiter))
            {
                waiter.TrySetResult(engineEvent);
            }
        }

        if (_engine.PollTimeout() is { } next && next != _armedFor)
        {
            _armedFor = next;
            var due = next - Now();
            _timer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
        }
    }
}
