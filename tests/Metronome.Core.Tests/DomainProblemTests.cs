using System.Net;

namespace Metronome.Core.Tests;

/// <summary>The one mapping from domain failures to what the API and the embedded IMetronome answer.</summary>
public sealed class DomainProblemTests
{
    public static TheoryData<Exception, HttpStatusCode, string, string?> Cases => new()
    {
        { new NotFoundException("job 'j' not found in product 'p'"), HttpStatusCode.NotFound, "Not Found", "job 'j' not found in product 'p'" },
        { new ConflictException("tag 'j' is taken"), HttpStatusCode.Conflict, "Conflict", "tag 'j' is taken" },
        { new StoreUnavailableException("the database file was deleted"), HttpStatusCode.ServiceUnavailable, "Service Unavailable", "the database file was deleted" },
        { ValidationFailedException.For("intervals", "too short"), HttpStatusCode.BadRequest, "One or more fields are invalid.", null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_domain_failure_has_its_status_title_and_detail(Exception failure, HttpStatusCode status, string title, string? detail)
    {
        var problem = DomainProblem.From(failure);

        Assert.NotNull(problem);
        Assert.Equal((status, title, detail), (problem.Status, problem.Title, problem.Detail));
    }

    [Fact]
    public void A_validation_failure_carries_its_field_errors_and_no_other_failure_does()
    {
        var invalid = DomainProblem.From(ValidationFailedException.For("retries.max_attempts", "must be between 1 and 100"))!;

        Assert.Equal(["must be between 1 and 100"], invalid.Errors!["retries.max_attempts"]);
        Assert.Null(DomainProblem.From(new NotFoundException("x"))!.Errors);
    }

    [Fact]
    public void Anything_else_is_no_domain_problem()
    {
        Assert.Null(DomainProblem.From(new InvalidOperationException("bug")));
        Assert.Null(DomainProblem.From(new OperationCanceledException()));
    }
}
