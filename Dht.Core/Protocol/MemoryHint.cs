using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Dht.Protocol;

/// <summary>
/// Hints that ask the processor to start loading a cache line that the code will read a little later (a software
/// prefetch). They change no state and read nothing: a hint for a line that is never read costs only the wasted load,
/// and an address the collector has since moved costs the same. Without SSE (not x86) they do nothing.
/// </summary>
/// <remarks>
/// <para>Why: at 10^5 simulated nodes each object a datagram reads is a cache miss, and the engine reads them one after
/// another in program order, so their misses add up even where their addresses were known from the start. Issued
/// together at the start of a datagram or a request, they overlap (docs/benchmarks-history.md, "2026-11-28, ninth
/// round").</para>
/// <para>Only addresses that need no load of their own are hinted: array elements at an index known without reading
/// the array's header (from a length kept beside the reference, or an index the owner keeps below it), and fields of an
/// object already in hand. A hint that had to load to find its address would stall on the very miss it is meant to
/// start. The exception is a second step (<c>DhtEngine.HintSealedDeep</c>), which loads only lines a first step
/// hinted an event earlier and hints what they point to.</para>
/// <para>Setting the environment variable <c>DHT_MEMORY_HINTS=0</c> turns them off, to measure them.</para>
/// </remarks>
internal static class MemoryHint
{
    /// <summary>Whether hints are issued (x86 with SSE, unless <c>DHT_MEMORY_HINTS=0</c>).</summary>
    internal static readonly bool Enabled = Sse.IsSupported && Environment.GetEnvironmentVariable("DHT_MEMORY_HINTS") != "0";

    /// <summary>
    /// Starts loading the line holding element <paramref name="index"/> of <paramref name="array"/> without reading the
    /// array: its address is computed from the reference alone. (<c>MemoryMarshal.GetArrayDataReference</c> would load
    /// the array's first bytes to check it for null, a miss of its own that the pipeline waits for, which is the miss
    /// the hint is meant to start.) The caller keeps <paramref name="index"/> within the array and the array non-null;
    /// a wrong one costs a wasted hint, never a fault.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Element<T>(T[] array, int index)
    {
        if (Enabled)
        {
            Sse.Prefetch0(DataOf(array) + ((nint)index * Unsafe.SizeOf<T>()));
        }
    }

    /// <summary>
    /// As <see cref="Element{T}(T[], int)"/>, and also the line of the array's header (its length): the bounds check of
    /// the read that follows loads it, a miss of its own unless the element shares its line.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void ElementAndHeader<T>(T[] array, int index)
    {
        if (Enabled)
        {
            var data = DataOf(array);
            Sse.Prefetch0(data - ArrayHeaderBytes);
            Sse.Prefetch0(data + ((nint)index * Unsafe.SizeOf<T>()));
        }
    }

    /// <summary>
    /// Starts loading every line of element <paramref name="index"/> of <paramref name="array"/>, an element of at most
    /// 128 bytes (the lines of its first, middle and last bytes: such an element spans at most three), without reading
    /// the array.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void WholeElement<T>(T[] array, int index)
    {
        if (Enabled)
        {
            var start = DataOf(array) + ((nint)index * Unsafe.SizeOf<T>());
            Sse.Prefetch0(start);
            Sse.Prefetch0(start + (Unsafe.SizeOf<T>() / 2));
            Sse.Prefetch0(start + Unsafe.SizeOf<T>() - 1);
        }
    }

    /// <summary>
    /// Starts loading the first line of <paramref name="instance"/> (its method table pointer and first fields), from
    /// the reference alone: an interface call on it reads the method table first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Object(object instance)
    {
        if (Enabled)
        {
            var reference = instance;
            Sse.Prefetch0(*(byte**)Unsafe.AsPointer(ref reference));
        }
    }

    /// <summary>
    /// Starts loading the header of <paramref name="array"/> and its first <paramref name="count"/> elements (the caller
    /// knows the count without reading the array), as <see cref="Element{T}(T[], int)"/> does one element.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Elements<T>(T[] array, int count)
    {
        if (Enabled)
        {
            Lines(DataOf(array) - ArrayHeaderBytes, ArrayHeaderBytes + (count * Unsafe.SizeOf<T>()));
        }
    }

    /// <summary>Bytes before a one-dimensional array's first element: its method table pointer and its length.</summary>
    private static int ArrayHeaderBytes => 2 * IntPtr.Size;

    /// <summary>The address of an array's first element, from the reference alone (nothing is read through it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe byte* DataOf<T>(T[] array)
    {
        var reference = array;
        return *(byte**)Unsafe.AsPointer(ref reference) + ArrayHeaderBytes;
    }

    /// <summary>
    /// Starts loading <paramref name="bytes"/> bytes from <paramref name="address"/> on, one hint per 64-byte line. The
    /// range may run past the object (the pointer is not tracked by the collector and a hint never faults).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Lines(byte* address, int bytes)
    {
        if (Enabled)
        {
            for (var offset = 0; offset < bytes; offset += 64)
            {
                Sse.Prefetch0(address + offset);
            }
        }
    }
}
