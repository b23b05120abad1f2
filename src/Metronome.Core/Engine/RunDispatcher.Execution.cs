using ExecutionContext = Metronome.Core.Execution.ExecutionContext;
using Metronome.Core.Execution;
using Metronome.Core.Runs;
using Metronome.Core.Storage;
using Metronome.Core.Telemetry;

namespace Metronome.Core.Engine;

/// <summary>One attempt's execution: the event and secrets resolved, the executor called under the attempt's timeout, every
/// exception turned into an outcome, and the outcome redacted once.</summary>
internal sealed partial class RunDispatcher
{
    /// <summary>Runs one attempt; returns a null status when the engine is stopping and the attempt was abandoned mid-way.</summary>
    private async ValueTask<(RunStatus? Status, ExecutionOutcome Outcome)> ExecuteAsync(ClaimedRun claimed)
    {
        var (status, outcome, secrets) = await ExecuteCoreAsync(claimed);
        // Secrets never reach run records: every outcome is redacted once, here.
        if (outcome.ErrorMessage is not null || (secrets is { Count: > 0 } && outcome.OutputJson is not null))
            outcome = outcome with
            {
                ErrorMessage = SecretRedactor.Redact(outcome.ErrorMessage, secrets),
                OutputJson = secrets is { Count: > 0 } ? SecretRedactor.Redact(outcome.OutputJson, secrets) : outcome.OutputJson,
            };
        return (status, outcome);
    }

    private async ValueTask<(RunStatus? Status, ExecutionOutcome Outcome, IReadOnlyDictionary<string, string>? Secrets)> ExecuteCoreAsync(ClaimedRun claimed)
    {
        var run = claimed.Run;
        IReadOnlyDictionary<string, string>? secrets = null;
        var deadline = _timeouts.Acquire(claimed.TimeoutMs);
        try
        {
            var token = deadline.Token;
            var ev = await _resolver.GetEventAsync(run.Product, claimed.EventType, claimed.EventTag, token);
            if (ev is null)
                return (RunStatus.Failed, ExecutionOutcome.Failure(ErrorKinds.EventMissing, $"event {claimed.EventType}/{claimed.EventTag} does not exist in product '{run.Product}'"), secrets);
            if (!_executors.TryGetValue(ev.Type, out var executor))
                return (RunStatus.Failed, ExecutionOutcome.Failure(ErrorKinds.NotRegistered, $"no executor for event type '{ev.Type}' on this node"), secrets);
            secrets = await _resolver.GetSecretsAsync(run.Product, token);
            AttemptActivities.UseSecrets(secrets);
            var context = new ExecutionContext
            {
                Product = run.Product, JobTag = run.JobTag, JobName = claimed.JobName, RunId = run.Id, Slot = run.Slot,
                Attempt = run.Attempt, ScheduledAt = run.ScheduledAt, IdempotencyKey = run.IdempotencyKey, Event = ev,
                Input = _inputs.Get(claimed.InputJson), Secrets = secrets, Timeout = TimeSpan.FromMilliseconds(claimed.TimeoutMs),
            };
            var outcome = await executor.ExecuteAsync(context, token);
            // An executor may report the stop's cancel as a failure rather than throw: it did not fail, it was stopped.
            if (!outcome.Succeeded && _stopping.IsCancellationRequested && !deadline.TimedOut) return (null, outcome, secrets);
            return (AttemptOutcomes.StatusOf(outcome), outcome, secrets);
        }
        catch (OperationCanceledException) when (deadline.TimedOut)
        {
            return (RunStatus.TimedOut, ExecutionOutcome.Failure(ErrorKinds.Timeout, $"the attempt ran longer than {claimed.TimeoutMs} ms and was cancelled"), secrets);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return (null, ExecutionOutcome.Failure(ErrorKinds.Abandoned, "stopping"), secrets);
        }
        catch (Exception ex)
        {
            // Logged once, redacted, by the attempt's line (the text may quote a connection string); never the raw exception.
            return (RunStatus.Failed, ExecutionOutcome.Failure(ErrorKinds.Exception, $"{ex.GetType().Name}: {ex.Message}"), secrets);
        }
        finally
        {
            _timeouts.Release(deadline);
        }
    }
}
