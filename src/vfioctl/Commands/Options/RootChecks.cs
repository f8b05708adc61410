using Vfio.Interop;

namespace Vfioctl.Commands.Options;

/// <summary>What <c>--root</c> must be for a command that writes: a directory, and on the live host, root.</summary>
internal static class RootChecks
{
    /// <summary>The live host needs root for writes; a directory root (a simulated or captured tree) does not.</summary>
    public static void RequireRootForLiveHost(string root, string command)
    {
        if (Path.GetFullPath(root) == "/" && Libc.GetEuid() != 0)
            throw new NeedsRootException($"'vfioctl {command}' changes driver bindings and needs root: run it with sudo.");
    }

    /// <summary>A snapshot archive is read-only: the writing commands need a live host or a directory.</summary>
    public static string RequireDirectoryRoot(string root, string command)
    {
        if (File.Exists(root))
            throw new UsageException($"--root {root} is a snapshot, which is read-only: 'vfioctl plan' works on it, '{command}' needs a live host or a directory.");
        if (!Directory.Exists(root)) throw new UsageException($"--root {root}: no such directory.");
        return root;
    }

    /// <summary>Both checks, in that order (a usage error before a missing sudo).</summary>
    public static string RequireWritable(string root, string command)
    {
        RequireDirectoryRoot(root, command);
        RequireRootForLiveHost(root, command);
        return root;
    }
}

/// <summary>A command that needs root was run without it: exit code 1 with the reason up front.</summary>
internal sealed class NeedsRootException(string message) : Exception(message);
