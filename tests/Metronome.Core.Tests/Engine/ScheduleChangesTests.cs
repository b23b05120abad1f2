using Metronome.Core.Engine;

namespace Metronome.Core.Tests.Engine;

public sealed class ScheduleChangesTests
{
    [Fact]
    public void A_change_while_nothing_is_read_is_not_kept()
    {
        var changes = new ScheduleChanges();
        for (long job = 1; job <= 1000; job++) changes.Record(job, cancelled: job % 2 == 0);
        Assert.Equal(0, changes.Tracked);
        var snapshot = changes.Open();
        Assert.False(changes.ChangedSince(1, snapshot));
    }

    [Fact]
    public void Changes_during_a_claim_are_seen_by_it_and_dropped_when_it_closes()
    {
        var changes = new ScheduleChanges();
        changes.Record(7, cancelled: false); // before the claim: not newer than it
        var claim = changes.Open();
        changes.Record(1, cancelled: false);
        changes.Record(2, cancelled: true);
        Assert.False(changes.ChangedSince(7, claim));
        Assert.True(changes.ChangedSince(1, claim));
        Assert.False(changes.CancelledSince(1, claim));
        Assert.True(changes.CancelledSince(2, claim));
        Assert.Equal(2, changes.Tracked);

        changes.Close(claim);
        Assert.Equal(0, changes.Tracked);
    }

    [Fact]
    public void Closing_the_older_of_two_reads_drops_only_what_the_newer_cannot_need()
    {
        var changes = new ScheduleChanges();
        var reload = changes.Open();
        changes.Record(1, cancelled: false);
        var claim = changes.Open();
        changes.Record(2, cancelled: false);

        changes.Close(reload);
        Assert.Equal(1, changes.Tracked); // job 1 changed before the claim began: the claim treats it as unchanged anyway
        Assert.False(changes.ChangedSince(1, claim));
        Assert.True(changes.ChangedSince(2, claim));

        changes.Close(claim);
        Assert.Equal(0, changes.Tracked);
    }

    [Fact]
    public void A_reschedule_without_a_due_time_keeps_a_cancel_and_a_resume_lifts_it()
    {
        var changes = new ScheduleChanges();
        var claim = changes.Open();
        changes.Record(1, cancelled: true);
        changes.Record(1, cancelled: null);
        Assert.True(changes.CancelledSince(1, claim));
        changes.Record(1, cancelled: false);
        Assert.False(changes.CancelledSince(1, claim));
        Assert.True(changes.ChangedSince(1, claim));
    }
}
