namespace Dht.Node;

internal static class Program
{
    private static int Main()
    {
        Console.Error.WriteLine("dht-node: not wired yet");
        return 1;
    }
}
