namespace Metronome.Server.Dashboard;

/// <summary>
/// Serves the dashboard: one static page (embedded in the assembly, so it works whatever the content root) that
/// talks to the REST API with the key the user types.
/// </summary>
internal static class DashboardEndpoints
{
    private static readonly Lazy<string> Page = new(Load);

    public static void MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => TypedResults.Content(Page.Value, "text/html; charset=utf-8")).ExcludeFromDescription();
    }

    private static string Load()
    {
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream("Metronome.Server.Dashboard.index.html")
            ?? throw new InvalidOperationException("The dashboard page is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
