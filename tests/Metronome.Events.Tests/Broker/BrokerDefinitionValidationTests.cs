using Metronome.Events.Broker;

namespace Metronome.Events.Tests.Broker;

public sealed class BrokerDefinitionValidationTests
{
    private readonly MessageBrokerExecutor _executor = new(new BrokerPublisherOptions());

    private Dictionary<string, string[]> Errors(string definition) => TestContexts.ValidationErrorsOf(_executor, definition);

    [Theory]
    [InlineData("""{"broker": "redis", "connection": "127.0.0.1:6379", "mode": "stream", "topic": "orders", "message": {"slot": "{{run.slot}}"}}""")]
    [InlineData("""{"broker": "redis", "connection": "{{secrets.REDIS}}", "mode": "publish", "topic": "orders", "message": "tick"}""")]
    [InlineData("""{"broker": "rabbitmq", "connection": "amqp://guest:guest@127.0.0.1:5672/", "exchange": "", "topic": "orders", "message": {"slot": "{{run.slot}}"}, "headers": {"x-source": "metronome"}}""")]
    [InlineData("""{"broker": "nats", "connection": "nats://127.0.0.1:4222", "topic": "orders.tick", "message": {"slot": "{{run.slot}}"}}""")]
    [InlineData("""{"broker": "nats", "connection": "{{secrets.NATS}}", "topic": "orders.{{job.tag}}", "message": 42, "headers": {"X-Run": "{{run.id}}"}}""")]
    public void Spec_examples_and_templated_definitions_are_valid(string definition) => Assert.Empty(Errors(definition));

    [Fact]
    public void Unknown_broker_is_named_definition_broker()
    {
        var errors = Errors("""{"broker": "kafka", "connection": "x", "topic": "t", "message": "m"}""");
        Assert.Equal(["definition.broker"], errors.Keys);
        Assert.Contains("nats, rabbitmq, redis", errors["definition.broker"][0]);
    }

    [Fact]
    public void Missing_fields_are_each_named()
    {
        var errors = Errors("""{}""");
        Assert.Equal(["definition.broker", "definition.connection", "definition.message", "definition.topic"], errors.Keys.Order());
    }

    [Fact]
    public void Empty_topic_and_connection_are_required()
    {
        var errors = Errors("""{"broker": "redis", "connection": " ", "topic": "", "message": "m"}""");
        Assert.Equal(["definition.connection", "definition.topic"], errors.Keys.Order());
    }

    [Theory]
    [InlineData("append")]
    [InlineData("STREAM")]
    public void Redis_mode_other_than_stream_or_publish_is_named_definition_mode(string mode)
    {
        var errors = Errors($$"""{"broker": "redis", "connection": "127.0.0.1:6379", "mode": "{{mode}}", "topic": "t", "message": "m"}""");
        Assert.Equal(["definition.mode"], errors.Keys);
    }

    [Fact]
    public void Mode_and_exchange_belong_to_their_broker_only()
    {
        Assert.Equal(["definition.mode"], Errors("""{"broker": "nats", "connection": "nats://h:4222", "mode": "stream", "topic": "t", "message": "m"}""").Keys);
        Assert.Equal(["definition.exchange"], Errors("""{"broker": "redis", "connection": "h:6379", "exchange": "x", "topic": "t", "message": "m"}""").Keys);
    }

    [Fact]
    public void Unknown_field_is_named_so_a_typo_is_caught()
    {
        var errors = Errors("""{"broker": "nats", "connection": "nats://h:4222", "subject": "t", "topic": "t", "message": "m"}""");
        Assert.Equal(["definition.subject"], errors.Keys);
    }

    [Theory]
    [InlineData("redis", "", "definition.connection")]
    [InlineData("rabbitmq", "http://127.0.0.1:5672/", "definition.connection")]
    [InlineData("rabbitmq", "127.0.0.1:5672", "definition.connection")]
    [InlineData("nats", "http://127.0.0.1:4222", "definition.connection")]
    public void Connection_not_in_the_broker_format_is_named(string broker, string connection, string field)
    {
        var errors = Errors($$"""{"broker": "{{broker}}", "connection": "{{connection}}", "topic": "t", "message": "m"}""");
        Assert.Equal([field], errors.Keys);
    }

    [Fact]
    public void Connection_error_never_quotes_the_connection_string()
    {
        var errors = Errors("""{"broker": "rabbitmq", "connection": "http://bob:hunter2@h/", "topic": "t", "message": "m"}""");
        Assert.DoesNotContain("hunter2", errors["definition.connection"][0]);
    }

    [Theory]
    [InlineData("orders.*")]
    [InlineData("orders.>")]
    [InlineData("orders..tick")]
    [InlineData("orders tick")]
    public void Nats_subject_with_wildcards_or_empty_tokens_is_named_definition_topic(string subject)
    {
        var errors = Errors($$"""{"broker": "nats", "connection": "nats://h:4222", "topic": "{{subject}}", "message": "m"}""");
        Assert.Equal(["definition.topic"], errors.Keys);
    }

    [Fact]
    public void Headers_must_be_scalars_with_valid_names()
    {
        var errors = Errors("""{"broker": "nats", "connection": "nats://h:4222", "topic": "t", "message": "m", "headers": {"a:b": "1", "ok": {"x": 1}}}""");
        Assert.Equal(["definition.headers.a:b", "definition.headers.ok"], errors.Keys.Order());
    }

    [Fact]
    public void Redis_channel_publish_rejects_headers_and_streams_reserve_their_fields()
    {
        Assert.Equal(["definition.headers"],
            Errors("""{"broker": "redis", "connection": "h:6379", "mode": "publish", "topic": "t", "message": "m", "headers": {"a": "1"}}""").Keys);
        Assert.Equal(["definition.headers.message"],
            Errors("""{"broker": "redis", "connection": "h:6379", "topic": "t", "message": "m", "headers": {"message": "1"}}""").Keys);
    }

    [Fact]
    public void Unknown_template_root_is_named_by_its_path()
    {
        var errors = Errors("""{"broker": "redis", "connection": "{{secret.REDIS}}", "topic": "t", "message": {"a": "{{nope.x}}"}}""");
        Assert.Equal(["definition.connection", "definition.message.a"], errors.Keys.Order());
    }

    [Fact]
    public void Definition_that_is_not_an_object_is_named_definition()
    {
        Assert.Equal(["definition"], Errors("[1]").Keys);
    }
}
