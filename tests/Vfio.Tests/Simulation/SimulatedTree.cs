using Vfio.Host.Sysfs;

namespace Vfio.Tests.Simulation;

/// <summary>
/// File operations on the unpacked tree a <see cref="SimulatedKernel"/> stands in for, by host
/// path (<c>/sys/...</c>): resolving links the way path lookup does, and making the links and
/// files the kernel would show.
/// </summary>
internal sealed class SimulatedTree(HostFiles files)
{
    public HostFiles Files { get; } = files;

    public string Map(string hostPath) => Files.Map(hostPath);

    /// <summary>
    /// The canonical host path behind <paramref name="hostPath"/>, following every symbolic link
    /// inside the tree (as open(2) would); null when a component does not exist (ENOENT).
    /// </summary>
    public string? Resolve(string hostPath)
    {
        var pending = new Stack<string>(hostPath.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var current = new List<string>();
        int links = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == ".") continue;
            if (part == "..")
            {
                if (current.Count > 0) current.RemoveAt(current.Count - 1);
                continue;
            }
            var candidate = "/" + string.Join('/', current.Append(part));
            var mapped = Map(candidate);
            if (LinkTargetOf(mapped) is { } target)
            {
                if (++links > 40) return null; // ELOOP; reported as "does not exist"
                if (target.StartsWith('/')) current.Clear();
                foreach (var p in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse()) pending.Push(p);
                continue;
            }
            if (!File.Exists(mapped) && !Directory.Exists(mapped)) return null;
            current.Add(part);
        }
        return "/" + string.Join('/', current);
    }

    private static string? LinkTargetOf(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null; // a parent is a file (ENOTDIR): not a link
        }
    }

    public bool IsDirectory(string hostPath) => Directory.Exists(Map(hostPath));

    public bool Exists(string hostPath) => Files.Exists(hostPath);

    public void EnsureDirectory(string hostPath) => Directory.CreateDirectory(Map(hostPath));

    public void WriteText(string hostPath, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Map(hostPath))!);
        File.WriteAllText(Map(hostPath), text);
    }

    public void AppendText(string hostPath, string text) => File.AppendAllText(Map(hostPath), text);

    /// <summary>Creates an empty file unless something is already there.</summary>
    public void Touch(string hostPath)
    {
        if (!Exists(hostPath)) WriteText(hostPath, "");
    }

    /// <summary>Makes <paramref name="linkHostPath"/> a link to <paramref name="targetHostPath"/>, relative as sysfs writes them.</summary>
    public void LinkRelative(string linkHostPath, string targetHostPath)
    {
        var linkDir = linkHostPath[..linkHostPath.LastIndexOf('/')];
        LinkVerbatim(linkHostPath, Path.GetRelativePath(linkDir.Length == 0 ? "/" : linkDir, targetHostPath));
    }

    /// <summary>Makes a link whose target is exactly <paramref name="target"/> (procfs fd links: "/dev/vfio/1", "anon_inode:[vfio-device]").</summary>
    public void LinkVerbatim(string linkHostPath, string target)
    {
        Remove(linkHostPath);
        Directory.CreateDirectory(Path.GetDirectoryName(Map(linkHostPath))!);
        File.CreateSymbolicLink(Map(linkHostPath), target);
    }

    /// <summary>Removes a file or link (never following it); nothing when absent.</summary>
    public void Remove(string hostPath)
    {
        var info = new FileInfo(Map(hostPath));
        if (info.LinkTarget is not null || info.Exists) info.Delete();
    }

    public void RemoveDirectory(string hostPath)
    {
        if (Directory.Exists(Map(hostPath))) Directory.Delete(Map(hostPath), recursive: true);
    }
}
