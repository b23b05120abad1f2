using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using Metronome.Core.Execution;

namespace Metronome.Core.Tests.Engine;

/// <summary>A secret is masked in every encoding that can reach a run record or a log line.</summary>
public sealed class SecretRedactorEncodingTests
{
    private const string Secret = "p@ss+w<rd> é";

    private static string? Redact(string text, string secret = Secret) =>
        SecretRedactor.Redact(text, new Dictionary<string, string> { ["S"] = secret });

    public static TheoryData<string> Encoded() =>
    [
        Secret,
        JsonSerializer.Serialize(Secret),
        JsonSerializer.Serialize(Secret, new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }),
        JsonSerializer.Serialize(new { v = Secret }),
        JsonSerializer.Serialize(JsonSerializer.Serialize(new { v = Secret })),
        string.Concat(Secret.Select(c => $"\\u{(int)c:X4}")),
        string.Concat(Secret.Select(c => $"\\u{(int)c:x4}")),
        Uri.EscapeDataString(Secret),
        Uri.EscapeDataString(Secret).ToLowerInvariant(),
        Uri.EscapeDataString(Secret).Replace("%20", "+", StringComparison.Ordinal),
        WebUtility.UrlEncode(Secret),
    ];

    [Theory]
    [MemberData(nameof(Encoded))]
    public void Every_encoding_of_a_secret_is_masked(string encoded)
    {
        var redacted = Redact($"before {encoded} after");

        Assert.NotNull(redacted);
        Assert.StartsWith("before ", redacted, StringComparison.Ordinal);
        Assert.EndsWith(" after", redacted, StringComparison.Ordinal);
        Assert.Contains(SecretRedactor.Mask, redacted, StringComparison.Ordinal);
        Assert.DoesNotContain("ss", redacted, StringComparison.Ordinal);
        Assert.DoesNotContain("rd", redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void The_json_escaped_form_from_the_issue_is_masked()
    {
        Assert.Equal("""{"error":"***"}""", Redact("""{"error":"p@ss\u002Bw\u003Crd\u003E"}""", "p@ss+w<rd>"));
    }

    [Fact]
    public void A_host_secret_is_masked_in_any_case()
    {
        Assert.Equal("Connection refused by ***:443.", Redact("Connection refused by internal.corp.example:443.", "Internal.Corp.Example"));
    }

    [Theory]
    [InlineData("q", "GET /echo/q", "GET /echo/***")]
    [InlineData("42", "GET http://host/echo/42 slot 42", "GET http://host/echo/*** slot ***")]
    [InlineData("Zk9", "path /Zk9/zk9", "path /***/zk9")]
    public void Short_secrets_are_masked_wherever_they_occur_case_sensitively(string secret, string text, string expected)
    {
        var redacted = Redact(text, secret);

        Assert.Equal(expected, redacted);
    }

    [Fact]
    public void Longer_forms_are_masked_before_shorter_ones_so_nothing_is_left_half_masked()
    {
        var secrets = new Dictionary<string, string> { ["A"] = "abc", ["B"] = "abcdef" };

        Assert.Equal("x *** y", SecretRedactor.Redact("x abcdef y", secrets));
    }
}
