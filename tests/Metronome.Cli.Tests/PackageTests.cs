using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;

namespace Metronome.Cli.Tests;

/// <summary>
/// <c>dotnet pack</c> of a library (Metronome.Client) and of the CLI tool, as they were built for these tests: the nuspec
/// carries what nuget.org shows (description, license expression, readme, repository url and commit), and the CLI tool
/// does not carry the server.
/// </summary>
public sealed class PackageTests : IAsyncLifetime
{
    private const string Repository = "https://github.com/metronome-scheduler/metronome";
    private readonly string _output = Directory.CreateTempSubdirectory("metronome-pack-").FullName;

    private static string RepositoryRoot => typeof(PackageTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    /// <summary>The configuration these tests were built with (the folder name under artifacts/bin: release or debug).</summary>
    private static string Configuration => Path.GetFileName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)) switch
    {
        var c when c.StartsWith("release", StringComparison.OrdinalIgnoreCase) => "Release",
        _ => "Debug",
    };

    public async Task InitializeAsync()
    {
        foreach (var project in new[] { "Metronome.Client", "Metronome.Cli" })
            await PackAsync(Path.Combine(RepositoryRoot, "src", project));
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_output, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>Packs what was built (no build: the test's own build is what is packed), with no build server left behind.</summary>
    private async Task PackAsync(string project)
    {
        var info = new ProcessStartInfo("dotnet", ["pack", project, "-c", Configuration, "--no-build", "-o", _output, "-nodeReuse:false", "--disable-build-servers"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"dotnet pack {project} failed:\n{await stdout}\n{await stderr}");
    }

    private string Package(string id) => Directory.GetFiles(_output, id + ".*.nupkg").Single(p => !p.EndsWith(".snupkg", StringComparison.Ordinal));

    private static XElement Metadata(ZipArchive package)
    {
        using var stream = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        var nuspec = XDocument.Load(stream).Root!;
        return nuspec.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static XElement Child(XElement metadata, string name) => metadata.Elements().Single(e => e.Name.LocalName == name);

    [Theory]
    [InlineData("Metronome.Client")]
    [InlineData("Metronome.Cli")]
    public void The_nuspec_has_a_description_an_mit_license_a_readme_and_the_repository_with_its_commit(string id)
    {
        using var package = ZipFile.OpenRead(Package(id));
        var metadata = Metadata(package);

        Assert.True(Child(metadata, "description").Value.Length > 40, Child(metadata, "description").Value);
        var license = Child(metadata, "license");
        Assert.Equal("expression", license.Attribute("type")?.Value);
        Assert.Equal("MIT", license.Value);
        Assert.Equal("README.md", Child(metadata, "readme").Value);
        using var reader = new StreamReader(package.GetEntry("README.md")!.Open());
        var readme = reader.ReadToEnd();
        Assert.StartsWith("# " + id, readme);
        Assert.DoesNotMatch(@"\]\((?!https://)", readme); // nuget.org renders no relative link
        var repository = Child(metadata, "repository");
        Assert.Equal(Repository, repository.Attribute("url")?.Value);
        Assert.Matches("^[0-9a-f]{40}$", repository.Attribute("commit")?.Value ?? "");
        Assert.Equal(Repository, Child(metadata, "projectUrl").Value);
        Assert.True(File.Exists(Path.ChangeExtension(Package(id), ".snupkg")), "symbols package");
    }

    [Fact]
    public void The_cli_tool_does_not_carry_the_server()
    {
        var path = Package("Metronome.Cli");
        using var package = ZipFile.OpenRead(path);
        var files = package.Entries.Select(e => e.FullName).ToList();

        Assert.Contains(files, f => f.EndsWith("/metronome.dll", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.EndsWith("/Metronome.Server.dll", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.Contains("Npgsql", StringComparison.Ordinal) || f.Contains("Jint", StringComparison.Ordinal));
        Assert.True(new FileInfo(path).Length < 4 * 1024 * 1024, $"the CLI package is {new FileInfo(path).Length} bytes");
    }
}
