using Vfio.Userspace;

namespace Vfio.RealKernel.Tests.Userspace;

/// <summary>
/// samples/Edu run as a user would run it (<c>dotnet artifacts/bin/Edu/debug/Edu.dll ADDR</c>): as
/// root, as an unprivileged user granted the group, and the failures a user meets without the grant
/// or without RLIMIT_MEMLOCK.
/// </summary>
[Trait("topology", "basic")]
public sealed class EduSampleTests
{
    private const string Nobody = "65534";

    private static string Dotnet =>
        Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";

    private static string EduDll
    {
        get
        {
            // artifacts/bin/Vfio.RealKernel.Tests/<config>/ -> artifacts/bin/Edu/<config>/Edu.dll
            var dir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            var dll = Path.Combine(dir.Parent!.Parent!.FullName, "Edu", dir.Name, "Edu.dll");
            Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first");
            return dll;
        }
    }

    /// <summary>Runs the sample; as <paramref name="uid"/> through setpriv when given, with an optional memlock limit.</summary>
    private static (int Code, string Output) RunSample(string? uid = null, long? memlock = null, VfioBackend? backend = null)
    {
        var args = new List<string>();
        if (memlock is { } m) args.AddRange(["prlimit", $"--memlock={m}:{m}"]);
        if (uid is not null) args.AddRange(["setpriv", $"--reuid={uid}", $"--regid={uid}", "--clear-groups"]);
        // An unprivileged user has no writable home here; the dotnet host only needs some HOME.
        args.AddRange(["env", "HOME=/tmp", Dotnet, EduDll, Edu.Alone.ToString()]);
        if (backend is { } b) args.AddRange(["--backend", b.ToString().ToLowerInvariant()]);
        return Guest.Run(args[0], [.. args.Skip(1)]);
    }

    [Theory, MemberData(nameof(Backends.ForThisKernel), MemberType = typeof(Backends))]
    public void Edu_sample_passes_every_check_as_root(VfioBackend backend)
    {
        Guest.Require("basic");
        using var bound = VfioBinding.ToVfio(Edu.Alone);
        var (code, output) = RunSample(backend: backend);
        Assert.True(code == 0, output);
        Assert.Contains($"backend {backend.ToString().ToLowerInvariant()}", output);
        foreach (var check in new[] { "ok   identify", "ok   liveness", "ok   factorial", "ok   dma", "ok   iommu" })
            Assert.Contains(check, output);
        Assert.DoesNotContain("FAIL", output);
        Assert.Contains("all 8 checks passed", output);
    }

    [Fact]
    public void Edu_sample_runs_unprivileged_once_the_group_node_is_granted()
    {
        Guest.Require("basic");
        using var bound = VfioBinding.ToVfio(Edu.Alone);
        Guest.Sh($"chown {Nobody} /dev/vfio/1");
        // A memlock limit that covers the sample's three 4 KiB buffers and no more than a little.
        var (code, output) = RunSample(Nobody, memlock: 1 << 20);
        Assert.True(code == 0, output);
        Assert.Contains("all 8 checks passed", output);
        // Only the group node was granted: the library's own choice falls back to the container, cleanly.
        Assert.Contains("backend container, IOMMU group 1", output);
        if (Backends.KernelHasIommufd) Assert.Contains("/dev/iommu could not be opened (EACCES)", output);
    }

    [Fact]
    public void Without_the_grant_the_sample_says_the_group_node_is_not_accessible_and_how_to_grant_it()
    {
        Guest.Require("basic");
        using var bound = VfioBinding.ToVfio(Edu.Alone);
        var (code, output) = RunSample(Nobody, memlock: 1 << 20);
        Assert.Equal(1, code);
        Assert.Contains("the group node /dev/vfio/1 is not accessible to this user (uid 65534)", output);
        Assert.Contains($"chown {Nobody} /dev/vfio/1", output);
        Assert.Contains("RLIMIT_MEMLOCK", output);
    }

    [Fact]
    public void Without_memlock_the_sample_reports_rlimit_memlock_and_how_to_raise_it()
    {
        Guest.Require("basic");
        using var bound = VfioBinding.ToVfio(Edu.Alone);
        Guest.Sh($"chown {Nobody} /dev/vfio/1");
        var (code, output) = RunSample(Nobody, memlock: 0);
        Assert.Equal(1, code);
        Assert.Contains("VFIO_IOMMU_MAP_DMA", output);
        Assert.Contains("ENOMEM", output);
        Assert.Contains("exceeded RLIMIT_MEMLOCK (soft 0 bytes, hard 0 bytes)", output);
        Assert.Contains("prlimit", output);
    }
}
