using System.Net;
using Metronome.Events.Egress;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Metronome.Events.Tests.Security;

public sealed class EgressPolicyTests
{
    private static EgressPolicy Policy(string allow = "", string deny = "") => EgressPolicy.From(Options(allow, deny));

    private static EventsOptions Options(string allow = "", string deny = "")
    {
        var options = new EventsOptions();
        foreach (var entry in Split(allow)) options.EgressAllow.Add(entry);
        foreach (var entry in Split(deny)) options.EgressDeny.Add(entry);
        return options;
    }

    private static string[] Split(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Theory]
    [InlineData("169.254.169.254")]
    [InlineData("169.254.1.1")]
    [InlineData("fe80::1")]
    [InlineData("fd00:ec2::254")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("0.0.0.0")]
    public void Link_local_metadata_and_this_network_addresses_are_denied_by_default(string address) =>
        Assert.NotNull(Policy().Check("host.example", IPAddress.Parse(address)));

    [Fact]
    public void Metadata_host_names_are_denied_by_name_before_resolving_in_any_case()
    {
        Assert.NotNull(Policy().CheckHost("metadata.google.internal"));
        Assert.NotNull(Policy().CheckHost("METADATA.Google.Internal."));
        Assert.NotNull(Policy().CheckHost("169.254.169.254"));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("192.168.0.10")]
    [InlineData("::1")]
    public void Loopback_and_private_networks_stay_reachable_by_default(string address) =>
        Assert.Null(Policy().Check("host.example", IPAddress.Parse(address)));

    [Fact]
    public void Deny_entries_refuse_networks_addresses_hosts_and_their_subdomains()
    {
        var policy = Policy(deny: "127.0.0.0/8, 10.0.0.0/8,::1, evil.example");

        Assert.NotNull(policy.Check("localhost", IPAddress.Parse("127.0.0.1")));
        Assert.NotNull(policy.Check("x", IPAddress.Parse("::ffff:127.0.0.2")));
        Assert.NotNull(policy.Check("x", IPAddress.Parse("10.9.9.9")));
        Assert.NotNull(policy.Check("x", IPAddress.IPv6Loopback));
        Assert.NotNull(policy.CheckHost("api.Evil.example"));
        Assert.Null(policy.Check("good.example", IPAddress.Parse("192.0.2.1")));
    }

    [Fact]
    public void With_an_allow_list_only_matching_destinations_pass_and_deny_still_wins()
    {
        var policy = Policy(allow: "192.0.2.0/24,*.partner.example", deny: "192.0.2.66");

        Assert.Null(policy.Check("a", IPAddress.Parse("192.0.2.1")));
        Assert.Null(policy.Check("api.partner.example", IPAddress.Parse("203.0.113.5")));
        Assert.NotNull(policy.Check("partner.example", IPAddress.Parse("203.0.113.5")));
        Assert.NotNull(policy.Check("a", IPAddress.Parse("127.0.0.1")));
        Assert.NotNull(policy.Check("a", IPAddress.Parse("192.0.2.66")));
    }

    [Theory]
    [InlineData(EventsOptions.EgressDenySetting, nameof(EventsOptions.EgressDeny), "10.0.0.0/99")]
    [InlineData(EventsOptions.EgressAllowSetting, nameof(EventsOptions.EgressAllow), "not a host!")]
    public void An_entry_that_does_not_parse_is_refused_at_start_naming_the_setting(string setting, string property, string value)
    {
        var deny = setting == EventsOptions.EgressDenySetting;
        using var provider = new ServiceCollection()
            .AddMetronomeEvents(o => (deny ? o.EgressDeny : o.EgressAllow).Add(value)).BuildServiceProvider();

        var atStart = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<EventsOptions>>().Value);
        var inPolicy = Assert.Throws<ArgumentException>(() => EgressPolicy.From(deny ? Options(deny: value) : Options(allow: value)));

        Assert.Contains($"EventsOptions.{property} must list CIDRs", atStart.Message);
        Assert.Contains($"not '{value}'", atStart.Message);
        Assert.Contains(setting, inPolicy.Message);
    }
}
