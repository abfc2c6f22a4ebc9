namespace Dht.Records;

/// <summary>The bounds of a node's record storage. Each is a named option; hitting one has a defined rejection.</summary>
internal sealed class RecordStoreLimits
{
    /// <summary>Most records held (default 65,536); a new key beyond it is rejected with <see cref="RecordRejection.StoreFull"/>.</summary>
    public int MaxRecords { get; init; } = 65_536;

    /// <summary>
    /// Most bytes held, by <see cref="DhtRecord.SizeInBytes"/> (default 64 MiB); a store that would exceed it is rejected
    /// with <see cref="RecordRejection.StoreFull"/>. Applies to local records too.
    /// </summary>
    public long MaxTotalBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// Most records one remote node may have stored here (default 256); beyond it,
    /// <see cref="RecordRejection.SourceQuotaExceeded"/>. Local records are exempt.
    /// </summary>
    public int MaxRecordsPerSource { get; init; } = 256;

    /// <summary>The longest lifetime a store may ask for (default 24 h); longer TTLs are cut to it.</summary>
    public TimeSpan MaxTtl { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Throws when a bound is not positive; the exception names the option.</summary>
    public void Validate()
    {
        if (MaxRecords <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRecords), MaxRecords, "MaxRecords must be at least 1.");
        }

        if (MaxTotalBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTotalBytes), MaxTotalBytes, "MaxTotalBytes must be at least 1.");
        }

        if (MaxRecordsPerSource <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRecordsPerSource), MaxRecordsPerSource, "MaxRecordsPerSource must be at least 1.");
        }

        if (MaxTtl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTtl), MaxTtl, "MaxTtl must be positive.");
        }
    }
}
