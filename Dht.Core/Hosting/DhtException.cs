namespace Dht;

/// <summary>An operation could not be carried out (for example a bound was reached); the message says which and why.</summary>
public sealed class DhtException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DhtException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public DhtException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public DhtException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
