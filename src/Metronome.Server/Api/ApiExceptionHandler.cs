using System.Data.Common;
using Metronome.Core;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Metronome.Server.Api;

/// <summary>
/// The one place where exceptions become RFC 9457 problem details: domain failures as <see cref="DomainProblem"/> maps
/// them (validation 400 with <c>errors</c>, 404, 409, 503; the embedded <c>IMetronome</c> uses the same mapping),
/// Kestrel's own rejections (413 body too large, 415, 400 bad request), 503 with <c>Retry-After</c> while the store is
/// unreachable (a transient <see cref="DbException"/>), and 500 for anything unexpected.
/// </summary>
internal sealed class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (exception is OperationCanceledException && http.RequestAborted.IsCancellationRequested) return true;

        var problem = DomainProblem.From(exception) is { } domain ? FromDomain(domain) : exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                Plain(StatusCodes.Status413PayloadTooLarge, "Payload Too Large", "The request body is larger than 1 MiB."),
            BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } bad =>
                Plain(StatusCodes.Status415UnsupportedMediaType, "Unsupported Media Type", bad.Message),
            BadHttpRequestException bad => Plain(bad.StatusCode, "Bad Request", bad.Message),
            // The store is unreachable for a moment (a restart, a failover, a network blip): retry, nothing is wrong with the request.
            DbException { IsTransient: true } => Plain(StatusCodes.Status503ServiceUnavailable, "Service Unavailable",
                "The store cannot be reached at the moment; retry shortly."),
            _ => Plain(StatusCodes.Status500InternalServerError, "Internal Server Error", "An unexpected error occurred; it has been logged."),
        };
        if (problem.Status == StatusCodes.Status500InternalServerError)
            logger.LogError(exception, "Unhandled error on {Method} {Path}", http.Request.Method, http.Request.Path);
        if (exception is DbException { IsTransient: true })
        {
            logger.LogWarning("{Method} {Path} answered 503: the store is unreachable ({Error})", http.Request.Method, http.Request.Path, exception.Message);
            http.Response.Headers.RetryAfter = "1";
        }

        http.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = exception });
    }

    private static ProblemDetails FromDomain(DomainProblem domain)
    {
        var problem = domain.Errors is { } errors ? new HttpValidationProblemDetails(errors.ToDictionary()) : new ProblemDetails();
        problem.Status = (int)domain.Status;
        problem.Title = domain.Title;
        problem.Detail = domain.Detail;
        return problem;
    }

    private static ProblemDetails Plain(int status, string title, string detail) => new() { Status = status, Title = title, Detail = detail };
}
