using Metronome.Load;
using Metronome.Storage.Sqlite;

// Load scenarios of Metronome. Usage:
//   dotnet run -c Release --project bench/Metronome.Load -- precision [jobs=2000] [interval_ms=1000] [seconds=20] [sync=full|normal]
//   dotnet run -c Release --project bench/Metronome.Load -- api <base-url> <admin-key> [creates=5000] [clients=16]
var scenario = args.FirstOrDefault() ?? "precision";
string Arg(int i, string fallback) => args.Length > i ? args[i] : fallback;
switch (scenario)
{
    case "precision":
        Console.WriteLine(await PrecisionScenario.RunAsync(int.Parse(Arg(1, "2000")), long.Parse(Arg(2, "1000")), int.Parse(Arg(3, "20")),
            Arg(4, "full") == "normal" ? SqliteSynchronous.Normal : SqliteSynchronous.Full));
        break;
    case "api":
        Console.WriteLine(await ApiScenario.RunAsync(new Uri(Arg(1, "http://127.0.0.1:5080")), Arg(2, ""), int.Parse(Arg(3, "5000")), int.Parse(Arg(4, "16"))));
        break;
    default:
        Console.Error.WriteLine($"unknown scenario '{scenario}': use precision or api");
        return 2;
}
return 0;
