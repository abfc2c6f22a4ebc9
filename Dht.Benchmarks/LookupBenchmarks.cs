using BenchmarkDotNet.Attributes;
using Dht.Lookup;
using Dht.Protocol;
using Dht.Wire;

namespace Dht.Benchmarks;

/// <summary>
/// The lookup's own steps for one whole lookup, as the engine runs them for every answer it receives: find the
/// responder among the candidates, mark it answered, add the 20 contacts its NODES answer names, and take the next
/// candidates to ask (k = 20, alpha = 3, up to 200 candidates), until the lookup finishes. Each node's answer is 20 of
/// the 60 ids nearest the target (one of 64 such draws, by the node's id), so most contacts an answer offers are already candidates (85% of
/// them in the simulator's <c>steady-100k</c>). No datagrams: the engine's sending and decoding are measured elsewhere.
/// </summary>
[MemoryDiagnoser]
public class LookupBenchmarks
{
    private const int Lookups = 64;
    private const int K = 20;
    private const int Answers = 64;

    private NodeId _self;
    private NodeId[] _targets = [];
    private WireContact[][] _initial = [];
    private WireContact[][][] _answers = [];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Xoshiro256(9);
        var population = new NodeId[100_000];
        for (var i = 0; i < population.Length; i++)
        {
            population[i] = rng.NextNodeId();
        }

        _self = rng.NextNodeId();
        _targets = new NodeId[Lookups];
        _initial = new WireContact[Lookups][];
        _answers = new WireContact[Lookups][][];
        for (var l = 0; l < Lookups; l++)
        {
            var target = rng.NextNodeId();
            _targets[l] = target;
            var nearest = population.OrderBy(id => id.Xor(target)).Take(60).Select((id, i) => Contact(id, i)).ToArray();

            // The asking node's table knows 20 nodes far from the target (one per bucket range, roughly).
            _initial[l] = [.. Enumerable.Range(0, K).Select(i => Contact(population[rng.NextInt32(population.Length)], 1000 + i))];
            // A node's answer is one of 64 draws, picked by its id's last bits (no dictionary in the measured loop).
            var answers = new WireContact[Answers][];
            for (var a = 0; a < Answers; a++)
            {
                answers[a] = [.. nearest.OrderBy(_ => rng.NextUInt64()).Take(K).OrderBy(n => n.Id.Xor(target))];
            }

            _answers[l] = answers;
        }
    }

    [Benchmark(Description = "one lookup's steps (20-contact answers, k = 20, alpha = 3)", OperationsPerInvoke = Lookups)]
    public int Lookup()
    {
        var answered = 0;
        var asked = new Queue<LookupCandidate>();
        for (var l = 0; l < Lookups; l++)
        {
            var lookup = new IterativeLookup(_targets[l], _self, K, 3, 200);
            foreach (var c in _initial[l])
            {
                lookup.AddCandidate(c.Id, c.Address);
            }

            while (true)
            {
                while (lookup.TryGetNext() is { } next)
                {
                    asked.Enqueue(next);
                }

                if (!asked.TryDequeue(out var request))
                {
                    break;
                }

                if (lookup.Find(request.Id) is { } candidate)
                {
                    lookup.OnSuccess(candidate);
                    lookup.AddCandidates(_answers[l][request.Id.Tag % Answers], candidate);
                    answered++;
                }
            }

            lookup.Release();
        }

        return answered;
    }

    private static WireContact Contact(NodeId id, int n) =>
        new(id, PeerAddress.FromIPv4([10, (byte)(n >> 16), (byte)(n >> 8), (byte)n], 4000));
}
