using Metronome.Contracts;

namespace Metronome.Client.Tests;

/// <summary>The one cursor loop shared by the SDK, the embedded IMetronome and the CLI.</summary>
public sealed class PagingTests
{
    private static readonly Dictionary<string, Page<int>> Pages = new()
    {
        [""] = new Page<int> { Items = [1, 2], NextCursor = "b" },
        ["b"] = new Page<int> { Items = [3], NextCursor = "c" },
        ["c"] = new Page<int> { Items = [4, 5] },
    };

    [Fact]
    public async Task All_follows_the_cursor_from_the_first_page_until_it_is_null()
    {
        var asked = new List<string?>();

        var all = await Paging.AllAsync(cursor => { asked.Add(cursor); return Task.FromResult(Pages[cursor ?? ""]); });

        Assert.Equal([1, 2, 3, 4, 5], all);
        Assert.Equal([null, "b", "c"], asked);
    }

    [Fact]
    public async Task Each_fetches_a_page_only_when_the_enumeration_reaches_it()
    {
        var fetched = 0;

        await foreach (var item in Paging.EachAsync((cursor, _) => { fetched++; return Task.FromResult(Pages[cursor ?? ""]); }))
            if (item == 2) break;

        Assert.Equal(1, fetched);
    }

    [Fact]
    public async Task Each_hands_the_fetch_the_token_given_to_WithCancellation()
    {
        using var cts = new CancellationTokenSource();
        var tokens = new List<CancellationToken>();

        await foreach (var _ in Paging.EachAsync((cursor, ct) => { tokens.Add(ct); return Task.FromResult(Pages[cursor ?? ""]); }).WithCancellation(cts.Token))
        {
        }

        Assert.Equal(3, tokens.Count);
        Assert.All(tokens, t => Assert.Equal(cts.Token, t));
    }
}
