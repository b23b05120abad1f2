namespace Metronome.Events.Tests.Notification;

public sealed class NotificationValidationTests
{
    private const string Email = """
        "channel": "email", "smtp": {"host": "127.0.0.1", "port": 2525, "tls": "none", "username": null, "password": null},
        "from": "jobs@example.com", "to": ["ops@example.com"], "subject": "Run {{run.slot}}", "body": "Hello {{input.who}}", "html": false
        """;

    private const string Push = """
        "channel": "push", "provider": "expo", "base_url": "https://exp.host", "to": ["ExponentPushToken[xxx]"],
        "title": "Run {{run.slot}}", "body": "Hi", "data": {"k": "v"}
        """;

    private const string Sms = """
        "channel": "sms", "provider": "twilio", "base_url": "https://api.twilio.com", "account_sid": "AC123",
        "auth_token": "{{secrets.TWILIO}}", "from": "+15550001", "to": "+15550002", "body": "Run {{run.slot}}"
        """;

    private const string Webhook = """
        "channel": "webhook", "url": "https://hooks.example/x", "method": "POST", "headers": {}, "body": {"text": "run {{run.id}}"}
        """;

    private static Dictionary<string, string[]> Errors(string json) =>
        TestContexts.ValidationErrorsOf(TestContexts.Executor("notification"), json);

    /// <summary>Replaces (or, with a null value, removes) one top-level field of a valid definition.</summary>
    private static string With(string fields, string name, string? value)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(fields.TrimStart().StartsWith('{') ? fields : "{" + fields + "}")!.AsObject();
        if (value is null) node.Remove(name);
        else node[name] = System.Text.Json.Nodes.JsonNode.Parse(value);
        return node.ToJsonString();
    }

    [Theory]
    [InlineData(Email)]
    [InlineData(Push)]
    [InlineData(Sms)]
    [InlineData(Webhook)]
    public void Definitions_of_the_spec_examples_are_valid(string fields) => Assert.Empty(Errors("{" + fields + "}"));

    [Theory]
    [InlineData("""{"to": "x"}""")]
    [InlineData("""{"channel": "fax"}""")]
    [InlineData("""{"channel": 3}""")]
    public void Missing_or_unknown_channel_is_named(string json) => Assert.Contains("definition.channel", Errors(json).Keys);

    [Fact]
    public void Definition_that_is_not_an_object_is_rejected() => Assert.Contains("definition", Errors("[1]").Keys);

    [Theory]
    [InlineData("smtp", null, "definition.smtp")]
    [InlineData("smtp", "\"127.0.0.1\"", "definition.smtp")]
    [InlineData("smtp", """{"port": 25}""", "definition.smtp.host")]
    [InlineData("smtp", """{"host": "h", "tls": "ssl"}""", "definition.smtp.tls")]
    [InlineData("smtp", """{"host": "h", "port": 0}""", "definition.smtp.port")]
    [InlineData("smtp", """{"host": "h", "port": "25"}""", "definition.smtp.port")]
    [InlineData("smtp", """{"host": "h", "password": "p"}""", "definition.smtp.username")]
    [InlineData("smtp", """{"host": "h", "user": "u"}""", "definition.smtp.user")]
    [InlineData("smtp", """{"host": "{{env.SMTP}}"}""", "definition.smtp.host")]
    [InlineData("from", null, "definition.from")]
    [InlineData("from", "\"not an address\"", "definition.from")]
    [InlineData("to", null, "definition.to")]
    [InlineData("to", "[]", "definition.to")]
    [InlineData("to", "\"ops@example.com\"", "definition.to")]
    [InlineData("to", """["ops"]""", "definition.to[0]")]
    [InlineData("to", """["ops@example.com", 5]""", "definition.to[1]")]
    [InlineData("subject", null, "definition.subject")]
    [InlineData("subject", "\"{{run.nope}}\"", "definition.subject")]
    [InlineData("body", "{}", "definition.body")]
    [InlineData("html", "\"yes\"", "definition.html")]
    [InlineData("timeout_ms", "0", "definition.timeout_ms")]
    [InlineData("cc", """["a@example.com"]""", "definition.cc")]
    public void Email_errors_name_the_field(string field, string? value, string expected) =>
        Assert.Contains(expected, Errors(With(Email, field, value)).Keys);

    [Fact]
    public void Email_accepts_templated_addresses_and_credentials()
    {
        var json = With(With(Email, "to", """["{{input.to}}", "{{input.team}}@example.com"]"""), "smtp",
            """{"host": "{{secrets.SMTP_HOST}}", "tls": "starttls", "username": "{{secrets.SMTP_USER}}", "password": "{{secrets.SMTP_PASS}}"}""");
        Assert.Empty(Errors(With(json, "from", "\"{{input.from}}\"")));
    }

    [Theory]
    [InlineData("to", null, "definition.to")]
    [InlineData("to", "[]", "definition.to")]
    [InlineData("to", "[\"\"]", "definition.to[0]")]
    [InlineData("provider", "\"fcm\"", "definition.provider")]
    [InlineData("base_url", "\"ftp://exp.host\"", "definition.base_url")]
    [InlineData("base_url", "\"exp.host\"", "definition.base_url")]
    [InlineData("data", "[1]", "definition.data")]
    [InlineData("title", "5", "definition.title")]
    [InlineData("access_token", "true", "definition.access_token")]
    [InlineData("body", "\"{{input..x}}\"", "definition.body")]
    [InlineData("badge", "1", "definition.badge")]
    public void Push_errors_name_the_field(string field, string? value, string expected) =>
        Assert.Contains(expected, Errors(With(Push, field, value)).Keys);

    [Fact]
    public void Push_accepts_a_single_token_and_a_templated_base_url() =>
        Assert.Empty(Errors(With(With(Push, "to", "\"{{input.device}}\""), "base_url", "\"{{secrets.EXPO_URL}}\"")));

    [Theory]
    [InlineData("account_sid", null, "definition.account_sid")]
    [InlineData("auth_token", null, "definition.auth_token")]
    [InlineData("from", null, "definition.from")]
    [InlineData("to", null, "definition.to")]
    [InlineData("to", """["+1555"]""", "definition.to")]
    [InlineData("body", null, "definition.body")]
    [InlineData("body", "\"  \"", "definition.body")]
    [InlineData("provider", "\"vonage\"", "definition.provider")]
    [InlineData("base_url", "\"not a url\"", "definition.base_url")]
    [InlineData("auth_token", "\"{{secret.TWILIO}}\"", "definition.auth_token")]
    public void Sms_errors_name_the_field(string field, string? value, string expected) =>
        Assert.Contains(expected, Errors(With(Sms, field, value)).Keys);

    [Theory]
    [InlineData("url", null, "definition.url")]
    [InlineData("url", "\"ftp://x\"", "definition.url")]
    [InlineData("method", "\"GE T\"", "definition.method")]
    [InlineData("headers", "[1]", "definition.headers")]
    [InlineData("success_status", "[99]", "definition.success_status")]
    [InlineData("smtp", "{}", "definition.smtp")]
    [InlineData("body", """{"x": "{{job.id}}"}""", "definition.body.x")]
    public void Webhook_errors_name_the_field(string field, string? value, string expected) =>
        Assert.Contains(expected, Errors(With(Webhook, field, value)).Keys);
}
