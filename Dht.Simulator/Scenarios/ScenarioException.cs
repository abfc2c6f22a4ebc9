namespace Dht.Simulator.Scenarios;

/// <summary>A scenario (or a command-line override) that cannot run; the message names the field, e.g. "network.loss: …".</summary>
internal sealed class ScenarioException : Exception
{
    public ScenarioException()
    {
    }

    public ScenarioException(string message)
        : base(message)
    {
    }

    public ScenarioException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
