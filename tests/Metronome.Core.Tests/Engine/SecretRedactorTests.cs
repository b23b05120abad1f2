using Metronome.Core.Execution;

namespace Metronome.Core.Tests.Engine;

public sealed class SecretRedactorTests
{
    [Theory]
    [InlineData("connect failed: Host=db;Username=app;Password=hunter22;Database=x", "connect failed: Host=db;Username=app;Password=***;Database=x")]
    [InlineData("amqp://guest:s3cret@127.0.0.1:5672/ refused", "amqp://guest:***@127.0.0.1:5672/ refused")]
    [InlineData("token mysecretvalue leaked", "token *** leaked")]
    [InlineData("nothing to hide", "nothing to hide")]
    public void Credentials_and_secret_values_are_masked(string input, string expected)
    {
        var secrets = new Dictionary<string, string> { ["API"] = "mysecretvalue" };
        Assert.Equal(expected, SecretRedactor.Redact(input, secrets));
    }
}
