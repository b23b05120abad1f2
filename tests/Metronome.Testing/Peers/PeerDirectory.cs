namespace Metronome.Testing.Peers;

/// <summary>Removes a peer's temp directory, ignoring files a dying process still holds.</summary>
internal static class PeerDirectory
{
    public static void Delete(string? directory)
    {
        if (directory is null) return;
        try { Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
