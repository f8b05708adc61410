using System.Reflection;

namespace Vfio.Lab;

/// <summary>The scripts that run inside the guest (embedded resources from <c>Guest/</c>).</summary>
internal static class GuestScripts
{
    /// <summary>The initramfs's <c>/init</c> (busybox sh).</summary>
    public static string Init => Load("init.sh");

    /// <summary>The guest setup that runs as PID 1 after switch_root (the host's /bin/sh).</summary>
    public static string Setup => Load("setup.sh");

    private static string Load(string name)
    {
        using var stream = typeof(GuestScripts).Assembly.GetManifestResourceStream($"Vfio.Lab.Guest.{name}")
            ?? throw new InvalidOperationException($"embedded resource Vfio.Lab.Guest.{name} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().ReplaceLineEndings("\n");
    }
}
