using System.Buffers;
using System.Text;

namespace Vfio.Host.Sysfs;

/// <summary>
/// The one seam through which the host model reads the kernel's files. Every path is an
/// absolute host path (<c>/sys/bus/pci/devices</c>) resolved under <see cref="Root"/>, so a
/// captured tree, a snapshot or a synthetic tree can stand in for <c>/</c>.
/// Reads never throw for the ordinary ways sysfs goes wrong (missing file, device removed
/// mid-read, permission denied): they return null and the caller records a warning.
/// </summary>
public class HostFiles
{
    /// <summary>Files under the real root.</summary>
    public static HostFiles System { get; } = new("/");

    public HostFiles(string root)
    {
        Root = Path.GetFullPath(root);
    }

    /// <summary>The directory that stands for <c>/</c>.</summary>
    public string Root { get; }

    /// <summary>True when reading the live host rather than a captured tree.</summary>
    public bool IsLive => Root == "/";

    /// <summary>Maps an absolute host path to the file system path under <see cref="Root"/>.</summary>
    public string Map(string hostPath)
    {
        if (!hostPath.StartsWith('/')) throw new ArgumentException($"host path must be absolute: {hostPath}", nameof(hostPath));
        return IsLive ? hostPath : string.Concat(Root.AsSpan().TrimEnd('/'), hostPath);
    }

    /// <summary>
    /// Reads a small text attribute, trimmed of the trailing newline (and surrounding blanks).
    /// Null when it does not exist or cannot be read.
    /// </summary>
    public virtual string? ReadAttribute(string hostPath)
    {
        var bytes = ReadSmall(hostPath, 4096, out int n, singleRead: true);
        if (bytes is null) return null;
        try
        {
            return Encoding.UTF8.GetString(bytes, 0, n).Trim();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Reads up to <paramref name="max"/> bytes of a (binary) file such as <c>config</c>.</summary>
    public virtual byte[]? ReadBytes(string hostPath, int max)
    {
        var bytes = ReadSmall(hostPath, max, out int n);
        if (bytes is null) return null;
        var result = bytes.AsSpan(0, n).ToArray();
        ArrayPool<byte>.Shared.Return(bytes);
        return result;
    }

    private byte[]? ReadSmall(string hostPath, int max, out int length, bool singleRead = false)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(max);
        length = Interop.RawFile.ReadFile(Map(hostPath), buffer.AsSpan(0, max), singleRead);
        if (length >= 0) return buffer;
        ArrayPool<byte>.Shared.Return(buffer);
        length = 0;
        return null;
    }

    /// <summary>Reads a whole text file (procfs tables, modules.alias). Null when unreadable.</summary>
    public virtual string? ReadAllText(string hostPath)
    {
        try
        {
            return File.ReadAllText(Map(hostPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Opens a text file for streaming (large files such as modules.alias). Null when unreadable.</summary>
    public virtual TextReader? OpenText(string hostPath)
    {
        try
        {
            return new StreamReader(Map(hostPath), Encoding.UTF8, false, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The target of a symbolic link, as written in the link (usually relative). Null when not a link.</summary>
    public virtual string? ReadLink(string hostPath) => Interop.RawFile.ReadLinkTarget(Map(hostPath));

    /// <summary>The last component of a link's target: the driver behind <c>driver</c>, the group behind <c>iommu_group</c>.</summary>
    public string? ReadLinkName(string hostPath)
    {
        var t = ReadLink(hostPath);
        if (t is null) return null;
        t = t.TrimEnd('/');
        int slash = t.LastIndexOf('/');
        return slash < 0 ? t : t[(slash + 1)..];
    }

    /// <summary>Names in a directory (files, directories and links). Empty when missing.</summary>
    public virtual IReadOnlyList<string> List(string hostPath)
    {
        try
        {
            var dir = Map(hostPath);
            var names = new List<string>();
            foreach (var e in Directory.EnumerateFileSystemEntries(dir))
                names.Add(Path.GetFileName(e));
            return names;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>True when something (file, directory or link, even dangling) exists at the path.</summary>
    public virtual bool Exists(string hostPath)
    {
        var p = Map(hostPath);
        return File.Exists(p) || Directory.Exists(p) || new FileInfo(p).LinkTarget is not null;
    }

    /// <summary>True when a directory exists at the path (following links).</summary>
    public virtual bool DirectoryExists(string hostPath) => Directory.Exists(Map(hostPath));
}
