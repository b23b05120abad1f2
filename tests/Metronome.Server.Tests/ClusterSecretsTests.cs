using Metronome.Core.Execution;
using Metronome.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Metronome.Server.Tests;

/// <summary>Nodes of one PostgreSQL cluster share the Data Protection key ring, so secrets decrypt on every node.</summary>
public sealed class ClusterSecretsTests
{
    [Fact]
    public async Task Secret_encrypted_by_one_node_is_decrypted_by_another_node_of_the_cluster()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var database = await postgres.CreateDatabaseAsync();
        await using var nodeA = Node("node-a", database);
        await using var nodeB = Node("node-b", database);

        var stored = nodeA.Services.GetRequiredService<ISecretProtector>().Protect("s3cret-value");

        Assert.NotEqual("s3cret-value", stored);
        Assert.Equal("s3cret-value", nodeB.Services.GetRequiredService<ISecretProtector>().Unprotect(stored));
    }

    private static WebApplication Node(string name, string database)
    {
        var data = Directory.CreateTempSubdirectory($"metronome-{name}-").FullName; // separate data directories
        return MetronomeServer.Build(["--urls=http://127.0.0.1:0"], b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["METRONOME_DATA"] = data,
            ["METRONOME_ADMIN_KEY"] = "cluster-secrets-admin-key-0123",
            ["METRONOME_STORE"] = "postgres",
            ["METRONOME_POSTGRES"] = database,
            ["METRONOME_NODE"] = name,
        }));
    }
}
