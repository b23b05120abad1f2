using System.Net;
using System.Net.Sockets;

namespace Metronome.Events.Egress;

/// <summary>
/// Decides which destinations the HTTP-based executors (action, webhook, push, sms) may connect to. Checked on the
/// address actually connected to (<see cref="EgressConnector"/>), so DNS rebinding cannot slip past a name check.
/// Deny wins over allow; with an allow list only matching destinations are reachable; link-local, "this network"
/// and cloud metadata destinations are always denied. An entry is a CIDR (<c>10.0.0.0/8</c>), an address, a host
/// name (<c>metadata.google.internal</c>, matched case-insensitively) or a domain suffix (<c>*.example.com</c>).
/// </summary>
internal sealed class EgressPolicy
{
    private static readonly EgressRule[] AlwaysDenied =
    [
        EgressRule.Parse("169.254.0.0/16")!, // IPv4 link-local, 169.254.169.254 (AWS, GCP, Azure metadata) included
        EgressRule.Parse("fe80::/10")!,      // IPv6 link-local
        EgressRule.Parse("fd00:ec2::254")!,  // AWS metadata over IPv6
        EgressRule.Parse("0.0.0.0/8")!,      // "this network": connecting to 0.0.0.0 reaches the local host
        EgressRule.Parse("::")!,
        EgressRule.Parse("metadata.google.internal")!,
        EgressRule.Parse("metadata")!,
    ];

    private readonly EgressRule[] _allow;
    private readonly EgressRule[] _deny;

    private EgressPolicy(EgressRule[] allow, EgressRule[] deny)
    {
        _allow = allow;
        _deny = deny;
    }

    /// <summary>The policy of <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">An entry does not parse; the message names the setting and the entry.</exception>
    public static EgressPolicy From(EventsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new EgressPolicy(
            Parse(options.EgressAllow, EventsOptions.EgressAllowSetting),
            [.. AlwaysDenied, .. Parse(options.EgressDeny, EventsOptions.EgressDenySetting)]);
    }

    /// <summary>Null when a request to <paramref name="host"/> may go on to resolve it; else why not (denied by name).</summary>
    public string? CheckHost(string host)
    {
        var name = Normalize(host);
        if (IPAddress.TryParse(name, out var literal)) return Check(name, literal);
        return _deny.FirstOrDefault(r => r.Matches(name)) is { } rule ? Denied(name, null, rule) : null;
    }

    /// <summary>Null when <paramref name="address"/> (which <paramref name="host"/> resolved to) may be connected to; else why not.</summary>
    public string? Check(string host, IPAddress address)
    {
        var name = Normalize(host);
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (_deny.FirstOrDefault(r => r.Matches(name) || r.Matches(address)) is { } rule) return Denied(name, address, rule);
        if (_allow.Length > 0 && !_allow.Any(r => r.Matches(name) || r.Matches(address)))
            return $"The destination {Describe(name, address)} is not in {EventsOptions.EgressAllowSetting}.";
        return null;
    }

    private static string Denied(string host, IPAddress? address, EgressRule rule) =>
        AlwaysDenied.Contains(rule)
            ? $"The destination {Describe(host, address)} is denied by the egress policy (link-local and cloud metadata addresses are never reachable)."
            : $"The destination {Describe(host, address)} is denied by {EventsOptions.EgressDenySetting} ({rule}).";

    private static string Describe(string host, IPAddress? address) =>
        address is null || host == address.ToString() ? host : $"{host} ({address})";

    private static string Normalize(string host) => host.Trim().TrimStart('[').TrimEnd(']').TrimEnd('.').ToLowerInvariant();

    private static EgressRule[] Parse(IEnumerable<string> entries, string setting) =>
        [.. entries.Select(e => EgressRule.Parse(e) ?? throw new ArgumentException(
            $"{setting}: '{e}' is not a CIDR (10.0.0.0/8), an IP address or a host name (example.com, *.example.com).", nameof(entries)))];
}

/// <summary>One entry of an egress list: a network (CIDR or single address) or a host name / domain suffix.</summary>
internal sealed class EgressRule
{
    private readonly IPNetwork? _network;
    private readonly string? _host;
    private readonly bool _suffix;
    private readonly string _text;

    private EgressRule(IPNetwork? network, string? host, bool suffix, string text)
    {
        _network = network;
        _host = host;
        _suffix = suffix;
        _text = text;
    }

    /// <summary>The rule of <paramref name="entry"/>, or null when it is neither a network nor a host name.</summary>
    public static EgressRule? Parse(string entry)
    {
        var text = entry.Trim();
        if (text.Contains('/', StringComparison.Ordinal))
            return IPNetwork.TryParse(text, out var network) ? new EgressRule(network, null, false, text) : null;
        var bare = text.TrimStart('[').TrimEnd(']');
        if (IPAddress.TryParse(bare, out var address))
        {
            if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
            return new EgressRule(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128), null, false, text);
        }
        var suffix = text.StartsWith("*.", StringComparison.Ordinal) || text.StartsWith('.');
        var host = text.TrimStart('*').TrimStart('.').TrimEnd('.').ToLowerInvariant();
        if (host.Length == 0 || Uri.CheckHostName(host) != UriHostNameType.Dns) return null;
        return new EgressRule(null, host, suffix, text);
    }

    public bool Matches(IPAddress address) => _network is { } network && network.Contains(address);

    /// <summary>
    /// <c>example.com</c> matches that name and its subdomains (denying a domain denies all of it);
    /// <c>*.example.com</c> matches the subdomains only.
    /// </summary>
    public bool Matches(string host) =>
        _host is not null && ((!_suffix && host == _host) || host.EndsWith("." + _host, StringComparison.Ordinal));

    public override string ToString() => _text;
}
