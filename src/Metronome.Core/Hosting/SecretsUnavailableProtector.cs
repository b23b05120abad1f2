using Metronome.Core.Execution;

namespace Metronome.Core.Hosting;

/// <summary>
/// Stands in for an <see cref="ISecretProtector"/> when an embedded host registered none: home-made encryption would be
/// worse than none, so storing or reading a secret fails with a message saying what to register.
/// </summary>
internal sealed class SecretsUnavailableProtector : ISecretProtector
{
    public static SecretsUnavailableProtector Instance { get; } = new();

    private const string Message =
        "Product secrets need an ISecretProtector: call UseSecretProtector(...) in AddMetronome (the server uses ASP.NET Core Data Protection).";

    public string Protect(string plaintext) => throw new InvalidOperationException(Message);

    public string Unprotect(string protectedValue) => throw new InvalidOperationException(Message);
}
