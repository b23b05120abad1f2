using Metronome.Core.Audit;

namespace Metronome.Server.Api;

/// <summary>
/// The audit log's actor on the server: the authenticated caller of the current request (<c>admin</c>, or the id of the
/// product key used, also when the call came through a dashboard session made with that key). Outside a request (the
/// server's own start-up work) the actor is <c>admin</c>; the engine records its own changes as <c>engine</c>.
/// </summary>
internal sealed class RequestAuditActor(IHttpContextAccessor http) : IAuditActorSource
{
    public string CurrentActor =>
        http.HttpContext?.User is { } user && ApiCaller.AuditActor(user) is { } actor ? actor : AuditActors.Admin;
}
