using Metronome.Server;

// Composition only: everything is assembled in MetronomeServer.Build so tests start the very same application.
// Owner-only files for everything this process creates (the data directory is also tightened explicitly).
MetronomeServer.UseOwnerOnlyFileCreation();
WebApplication app;
try
{
    app = MetronomeServer.Build(args);
}
catch (ServerConfigurationException e)
{
    Console.Error.WriteLine($"metronome: {e.Message}");
    return 1;
}

await app.RunAsync();
return 0;
