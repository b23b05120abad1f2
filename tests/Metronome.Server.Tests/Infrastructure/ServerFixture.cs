namespace Metronome.Server.Tests.Infrastructure;

/// <summary>One real server (and one recording target) per test class.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private TestServer? _server;
    private TargetListener? _target;

    public TestServer Server => _server ?? throw new InvalidOperationException("not started");
    public TargetListener Target => _target ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        _target = await TargetListener.StartAsync();
        _server = await TestServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        if (_target is not null) await _target.DisposeAsync();
    }
}
