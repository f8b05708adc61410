namespace Vfio.RealKernel.Tests;

/// <summary>
/// vfioctl as users install it: the native program <c>scripts/publish</c> builds (NativeAOT), run as a
/// process in the guest. Every real-kernel test that runs vfioctl as a command uses this one, so what
/// is proven against the kernel is the binary people install. <c>scripts/lab-test</c> publishes it
/// before the guests start.
/// </summary>
internal static class InstalledVfioctl
{
    /// <summary>The published binary's path in this checkout (the guest sees the host's file system).</summary>
    public static string Path { get; } = System.IO.Path.Combine(RepoRoot(), "artifacts/publish/vfioctl-linux-x64/vfioctl");

    /// <summary>Runs <c>vfioctl ARGS</c>; the exit code and standard output with standard error.</summary>
    public static (int Code, string Out) Run(params string[] args) => Guest.Run(Require(), args);

    /// <summary>The binary's path, or a failure that says how to build it.</summary>
    public static string Require()
    {
        if (!File.Exists(Path))
            Assert.Fail($"{Path} is missing: build the installed vfioctl with scripts/publish first (scripts/lab-test does).");
        return Path;
    }

    private static string RepoRoot()
    {
        // The test runner's working directory is its own bin folder: find the checkout from there.
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir, "vfioctl.slnx"))) dir = System.IO.Path.GetDirectoryName(dir);
        return dir ?? throw new DirectoryNotFoundException("vfioctl.slnx not found above " + AppContext.BaseDirectory);
    }
}
