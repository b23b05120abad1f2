namespace Metronome.Core.Audit;

/// <summary>The audit log's action names (<c>object.verb</c>), as the API shows them.</summary>
public static class AuditActions
{
#pragma warning disable CS1591 // the names say it
    public const string JobCreate = "job.create";
    public const string JobUpdate = "job.update";
    public const string JobDelete = "job.delete";
    public const string JobPause = "job.pause";
    public const string JobResume = "job.resume";
    public const string JobTrigger = "job.trigger";
    public const string JobBackfill = "job.backfill";
    public const string EventCreate = "event.create";
    public const string EventUpdate = "event.update";
    public const string EventDelete = "event.delete";
    public const string SecretPut = "secret.put";
    public const string SecretDelete = "secret.delete";
    public const string KeyCreate = "key.create";
    public const string KeyRevoke = "key.revoke";
    public const string ProductCreate = "product.create";
    public const string ProductUpdate = "product.update";
    public const string ProductDelete = "product.delete";
#pragma warning restore CS1591
}
