namespace Vfio.Host.Sysfs;

/// <summary>Lexical operations on absolute host paths (no file system access).</summary>
public static class HostPath
{
    /// <summary>Resolves a link target (usually relative, as sysfs writes them) against the link's directory.</summary>
    public static string Resolve(string linkDir, string target)
    {
        var parts = new List<string>();
        foreach (var p in (target.StartsWith('/') ? target : linkDir + "/" + target).Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (p == ".") continue;
            if (p == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); }
            else parts.Add(p);
        }
        return "/" + string.Join('/', parts);
    }
}
