using Metronome.Core.Execution;
using Microsoft.AspNetCore.DataProtection;

namespace Metronome.Server.Hosting;

/// <summary>Encrypts product secrets with ASP.NET Core Data Protection (keys persisted in the data directory).</summary>
internal sealed class DataProtectionSecretProtector(IDataProtectionProvider provider) : ISecretProtector
{
    private readonly IDataProtector _protector = provider.CreateProtector("Metronome.Secrets");

    public string Protect(string plaintext) => _protector.Protect(plaintext);

    public string Unprotect(string protectedValue) => _protector.Unprotect(protectedValue);
}
