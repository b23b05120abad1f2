using static Metronome.Storage.Conformance.LedgerTables;

namespace Metronome.Storage.Conformance;

/// <summary>The ledger tables through <see cref="Core.Scheduling.JobLedger"/> alone: the rule itself meets every expectation.</summary>
public sealed class JobLedgerConformanceTests
{
    [Theory, MemberData(nameof(ReleaseNames), MemberType = typeof(LedgerTables))]
    public void Release_case(string name)
    {
        var c = Release.Single(x => x.Name == name);
        LedgerReference.AssertSame(c.Expected, LedgerReference.Release(c));
    }

    [Theory, MemberData(nameof(RecoverNames), MemberType = typeof(LedgerTables))]
    public void Recover_case(string name)
    {
        var c = Recover.Single(x => x.Name == name);
        Assert.Equal(c.Expected, LedgerReference.Recover(c));
    }

    [Theory, MemberData(nameof(HandBackNames), MemberType = typeof(LedgerTables))]
    public void Hand_back_case(string name)
    {
        var c = HandBack.Single(x => x.Name == name);
        Assert.Equal(c.Expected, LedgerReference.HandBack(c));
    }

    [Theory, MemberData(nameof(TriggerNames), MemberType = typeof(LedgerTables))]
    public void Trigger_case(string name)
    {
        var c = Trigger.Single(x => x.Name == name);
        Assert.Equal(c.Outcome, LedgerReference.Trigger(c));
    }

    [Theory, MemberData(nameof(FenceNames), MemberType = typeof(LedgerTables))]
    public void Fence_case(string name)
    {
        var c = Fence.Single(x => x.Name == name);
        Assert.Equal(c.Expected, LedgerReferenceFence.Fence(c));
    }

    [Theory, MemberData(nameof(ClaimNames), MemberType = typeof(LedgerTables))]
    public void Claim_case(string name)
    {
        var c = Claim.Single(x => x.Name == name);
        LedgerReference.AssertSame(c.Expected, LedgerReference.Claim(c));
    }
}
