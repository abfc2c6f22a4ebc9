using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

using Dht.Tests.Support;

namespace Dht.Tests.Packaging;

/// <summary>
/// Packs Dht.Core as NuGet would ship it and builds a small console program against the package,
/// from a local folder feed, outside this repository's build settings.
/// </summary>
[TestClass]
[TestCategory("Packaging")]
public sealed class PackageConsumerTests
{
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    [TestMethod]
    public void Pack_ConsumerProject_RestoresBuildsAndRuns()
    {
        var root = Repository.Root;
        var work = Directory.CreateTempSubdirectory("dht-pack-");
        // A version that was never in the global packages folder, so the consumer gets this build.
        var version = string.Create(CultureInfo.InvariantCulture,
            $"0.1.0-ci.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}");
        try
        {
            Assert.IsTrue(File.Exists(Path.Combine(root, "README.md")),
                "README.md at the repository root is missing: Dht.Core packs it as the package readme (PackageReadmeFile).");
            var feed = Path.Combine(work.FullName, "feed");
            var artifacts = Path.Combine(work.FullName, "artifacts");

            // Own artifacts path: the repository's bin/ and obj/ stay as the build left them.
            var pack = RunDotnet(root,
                ["pack", Path.Combine(root, "Dht.Core", "Dht.Core.csproj"), "-c", "Release", "-o", feed,
                 "--artifacts-path", artifacts, $"-p:Version={version}", "-nodeReuse:false"],
                PackTimeout);
            Assert.AreEqual(0, pack.ExitCode, $"dotnet pack failed:\n{pack.Output}");

            var nupkg = Path.Combine(feed, $"Dht.Core.{version}.nupkg");
            var snupkg = Path.Combine(feed, $"Dht.Core.{version}.snupkg");
            Assert.IsTrue(File.Exists(nupkg), $"No {nupkg}; feed has: {string.Join(", ", Directory.GetFiles(feed))}\n{pack.Output}");
            Assert.IsTrue(File.Exists(snupkg), $"No symbol package {snupkg}\n{pack.Output}");

            using (var archive = ZipFile.OpenRead(nupkg))
            {
                var entries = archive.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
                var listing = string.Join(", ", entries.Order(StringComparer.Ordinal));
                foreach (var expected in new[] { "README.md", "lib/net10.0/Dht.Core.dll", "lib/net10.0/Dht.Core.xml", "Dht.Core.nuspec" })
                {
                    Assert.Contains(expected, entries, $"{expected} missing from the package: {listing}");
                }
            }

            using (var symbols = ZipFile.OpenRead(snupkg))
            {
                Assert.IsTrue(symbols.Entries.Any(e => e.FullName == "lib/net10.0/Dht.Core.pdb"),
                    $"No PDB in the symbol package: {string.Join(", ", symbols.Entries.Select(e => e.FullName))}");
            }

            var app = Directory.CreateDirectory(Path.Combine(work.FullName, "consumer"));
            WriteConsumer(app.FullName, feed, version);
            var run = RunDotnet(app.FullName, ["run", "-c", "Release", "-p:UseSharedCompilation=false", "-nodeReuse:false"], RunTimeout);
            Assert.AreEqual(0, run.ExitCode, $"consumer failed:\n{run.Output}");

            var expectedKey = Convert.ToHexStringLower(SHA256.HashData("hello from a package"u8));
            Assert.Contains($"key={expectedKey}", run.Output, $"consumer output:\n{run.Output}");
            Assert.Contains("identity-id-length=64", run.Output, $"consumer output:\n{run.Output}");
            Assert.Contains("consumer ok", run.Output, $"consumer output:\n{run.Output}");
        }
        finally
        {
            TryDelete(work.FullName);
            // Leave no test-only version behind in the global packages folder.
            var cached = Path.Combine(GlobalPackagesFolder(), "dht.core", version.ToLowerInvariant());
            TryDelete(cached);
        }
    }

    private static void WriteConsumer(string directory, string feed, string version)
    {
        // Empty stubs: the consumer must not pick up central package management or build settings
        // from any folder above it.
        File.WriteAllText(Path.Combine(directory, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(directory, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(directory, "Directory.Packages.props"), "<Project />\n");
        // The default sources stay (NSec.Cryptography comes from them); the local feed is added.
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="dht-local-feed" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(directory, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Dht.Core" Version="[{version}]" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(directory, "Program.cs"), """
            using System.Text;
            using Dht;

            using var identity = DhtIdentity.Generate();
            var record = DhtRecord.CreateImmutable(Encoding.UTF8.GetBytes("hello from a package"));
            Console.WriteLine($"identity-id-length={identity.Id.ToString().Length}");
            Console.WriteLine($"key={record.Key}");
            Console.WriteLine("consumer ok");
            return 0;
            """);
    }

    private static string GlobalPackagesFolder()
    {
        var configured = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        return string.IsNullOrEmpty(configured)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages")
            : configured;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static (int ExitCode, string Output) RunDotnet(string workingDirectory, string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host runs under `dotnet test`: don't hand its MSBuild and test-platform settings
        // to the child builds, and keep no build server alive that would hold the output pipes open.
        foreach (var name in start.Environment.Keys.ToList())
        {
            if (name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("TESTINGPLATFORM_", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("VSTEST_", StringComparison.OrdinalIgnoreCase))
            {
                start.Environment.Remove(name);
            }
        }

        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["UseSharedCompilation"] = "false";

        var output = new StringBuilder();
        var stdoutClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderrClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data, stdoutClosed);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data, stderrClosed);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
            Assert.Fail($"dotnet {string.Join(' ', arguments)} did not finish within {timeout}:\n{Snapshot(output)}");
        }

        // Bounded wait for the rest of the output (a leftover child could hold the pipes open).
        Task.WaitAll([stdoutClosed.Task, stderrClosed.Task], TimeSpan.FromSeconds(30));
        return (process.ExitCode, $"$ dotnet {string.Join(' ', arguments)}\n{Snapshot(output)}");
    }

    private static void Append(StringBuilder output, string? line, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
