using Metronome.FunctionHost;

namespace Metronome.Events.Tests.Function;

public sealed class ScriptCacheTests
{
    private static string Code(char name) => $"function handler() {{ return '{new string(name, 20)}'; }}";

    [Fact]
    public void Cache_keeps_sources_within_its_budget_dropping_the_least_recently_used()
    {
        var cache = new ScriptCache(budgetChars: Code('a').Length * 2);

        cache.Get(Code('a'));
        cache.Get(Code('b'));
        cache.Get(Code('a'));
        cache.Get(Code('c'));

        Assert.Equal(2, cache.Count);
        Assert.True(cache.HeldChars <= Code('a').Length * 2);
        Assert.True(cache.Contains(Code('a')));
        Assert.False(cache.Contains(Code('b')));
        Assert.True(cache.Contains(Code('c')));
    }

    [Fact]
    public void Script_larger_than_the_budget_is_prepared_but_not_kept()
    {
        var cache = new ScriptCache(budgetChars: 10);

        Assert.NotNull(cache.Get(Code('a')).Program);

        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.HeldChars);
    }
}
