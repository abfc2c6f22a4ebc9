namespace Dht.Simulator;

internal static class Program
{
    private static int Main()
    {
        Console.Error.WriteLine("dht-sim: not wired yet");
        return 1;
    }
}
