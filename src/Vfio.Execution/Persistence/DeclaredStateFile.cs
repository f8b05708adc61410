using System.Text;
using Vfio.Execution.State;
using Vfio.Host.Sysfs;
using Vfio.Policy.Persistence;

namespace Vfio.Execution.Persistence;

/// <summary>
/// The declared-state file on disk (<c>/etc/vfioctl/assignments.yaml</c> by default, under the
/// root): read strictly (a bad file is refused with FILE:LINE and nothing is changed) and written
/// durably (<see cref="DurableFile"/>), mode 0644.
/// </summary>
public sealed class DeclaredStateFile(HostFiles files, string hostPath)
{
    /// <summary>Where the declared state lives unless <c>--config</c> says otherwise.</summary>
    public const string DefaultPath = "/etc/vfioctl/assignments.yaml";

    private const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>As the user named it (under the root).</summary>
    public string HostPath { get; } = hostPath;

    /// <summary>The real path.</summary>
    public string Path { get; } = files.Map(hostPath);

    public bool Exists => File.Exists(Path);

    /// <summary>The declared state; an absent file declares nothing. Throws <see cref="DeclaredStateFormatException"/> for a bad file.</summary>
    public DeclaredState Load()
    {
        if (!File.Exists(Path)) return DeclaredState.Empty;
        byte[] bytes = File.ReadAllBytes(Path);
        // Editors that write a byte order mark (EF BB BF) still write UTF-8: the mark is not part of the first key.
        int start = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException)
        {
            throw new DeclaredStateFormatException(HostPath, 1, "not UTF-8 text; restore the file from a backup or remove it.");
        }
        return DeclaredStateYaml.Parse(text, HostPath);
    }

    /// <summary>Writes <paramref name="state"/> in the canonical layout, durably.</summary>
    public void Save(DeclaredState state) => DurableFile.Write(Path, Encoding.UTF8.GetBytes(DeclaredStateYaml.Format(state)), Mode);
}
