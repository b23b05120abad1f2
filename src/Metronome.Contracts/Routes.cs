namespace Metronome.Contracts;

/// <summary>URL shapes of the REST API (SPEC §4).</summary>
public static class Routes
{
    public const string Products = "/api/products";
    public static string Product(string product) => $"{Products}/{Uri.EscapeDataString(product)}";
    public static string Keys(string product) => $"{Product(product)}/keys";
    public static string Secrets(string product) => $"{Product(product)}/secrets";
    public static string Secret(string product, string name) => $"{Product(product)}/secrets/{Uri.EscapeDataString(name)}";
    public static string Events(string product) => $"{Product(product)}/events";
    public static string Event(string product, string type, string tag) => $"{Events(product)}/{Uri.EscapeDataString(type)}/{Uri.EscapeDataString(tag)}";
    public static string Jobs(string product) => $"{Product(product)}/jobs";
    public static string Job(string product, string tag) => $"{Jobs(product)}/{Uri.EscapeDataString(tag)}";
    /// <summary>The next runs of a schedule not saved yet (the dashboard's preview).</summary>
    public static string SchedulePreview(string product) => $"{Product(product)}/schedule:preview";
    /// <summary>Declarative apply: makes the product's jobs match the body (<c>?prune=</c>, <c>?dry_run=</c>).</summary>
    public static string JobsApply(string product) => $"{Jobs(product)}:apply";
    public static string JobRuns(string product, string tag) => $"{Job(product, tag)}/runs";
    /// <summary>Runs of every job of a product (the dashboard's failures view).</summary>
    public static string Runs(string product) => $"{Product(product)}/runs";
    public static string Stats(string product) => $"{Product(product)}/stats";
    /// <summary>The dashboard's cookie session: sign in (POST), read (GET), sign out (DELETE).</summary>
    public const string Session = "/api/session";
    public const string ClusterNodes = "/api/cluster/nodes";
    /// <summary>One product key (DELETE revokes it).</summary>
    public static string Key(string product, string id) => $"{Keys(product)}/{Uri.EscapeDataString(id)}";
    /// <summary>The product's audit log, newest first.</summary>
    public static string Audit(string product) => $"{Product(product)}/audit";
    public static string Run(string product, string id) => $"{Product(product)}/runs/{Uri.EscapeDataString(id)}";
}
