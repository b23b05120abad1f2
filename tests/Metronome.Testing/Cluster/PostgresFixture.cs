namespace Metronome.Testing.Cluster;

/// <summary>One PostgreSQL server for a test class; each test makes its own database on it (tests of a class run one after another).</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;
    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync();
    public async Task DisposeAsync() => await Server.DisposeAsync();
}
