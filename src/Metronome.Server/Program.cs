using Metronome.Server;

// Composition only: everything is assembled in MetronomeServer.Build so tests start the very same application.
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
