using Vfio.Host.Sysfs;

namespace Vfio.Host.Reading;

/// <summary>
/// The bytes of a kernel's <c>modules.alias</c>, or why there are none. Parsing it is policy's
/// (<c>ModuleAliases.Parse</c>); reading it is I/O, so it lives here with the other readers.
/// </summary>
/// <param name="Path">The host path read (null when the kernel release is unknown).</param>
/// <param name="Content">The file's bytes; null when it could not be read.</param>
/// <param name="Problem">Why it could not be read; null when it was, or when there was nothing to read.</param>
public sealed record ModulesAliasFile(string? Path, byte[]? Content, string? Problem);

public static class ModulesAliasReader
{
    /// <summary>Reads <c>/lib/modules/RELEASE/modules.alias</c> under the root; never throws for an unreadable file.</summary>
    public static ModulesAliasFile Read(HostFiles files, string? release)
    {
        if (release is null) return new ModulesAliasFile(null, null, null);
        var path = $"/lib/modules/{release}/modules.alias";
        try
        {
            return new ModulesAliasFile(path, File.ReadAllBytes(files.Map(path)), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ModulesAliasFile(path, null, $"{path} is unreadable ({e.Message}): variant drivers cannot be detected; generic vfio-pci is used.");
        }
    }
}
