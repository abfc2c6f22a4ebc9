namespace Dht.Tests.Support;

/// <summary>The checkout the tests run from: the nearest directory above the test binaries that holds Dht.sln.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dht.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Dht.sln above {AppContext.BaseDirectory}");
    }
}
