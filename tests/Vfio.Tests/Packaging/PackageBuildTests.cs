using System.Diagnostics;
using Vfio.Tests.Architecture;

namespace Vfio.Tests.Packaging;

/// <summary>
/// scripts/package-deb builds a package with every file in its place and the control fields dpkg
/// needs. It packages $VFIOCTL_PUBLISHED (the native program, set by scripts/test) or, without it,
/// a stand-in that runs this checkout's debug build, so the test stays fast.
/// </summary>
public class PackageBuildTests
{
    private static (int Code, string Out, string Err) Run(string file, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(120)), $"{file} did not finish in 120 s");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, tool)));

    /// <summary>The program to package: the published one, or a stand-in running the debug build.</summary>
    private static string Program(string scratch)
    {
        var published = Environment.GetEnvironmentVariable("VFIOCTL_PUBLISHED");
        if (!string.IsNullOrEmpty(published) && File.Exists(published)) return published;
        var dll = RepositoryFiles.PathOf("artifacts/bin/vfioctl/debug/vfioctl.dll");
        Assert.SkipUnless(File.Exists(dll), $"neither VFIOCTL_PUBLISHED nor the debug build ({dll}) is there to package");
        var standIn = Path.Combine(scratch, "vfioctl");
        ScriptSandbox.Write(standIn, $"#!/bin/sh\nexec dotnet '{dll}' \"$@\"\n", executable: true);
        return standIn;
    }

    [Fact]
    public void The_package_holds_the_program_the_unit_the_initramfs_parts_the_man_page_and_the_completion()
    {
        Assert.SkipUnless(OnPath("dpkg-deb"), "dpkg-deb is not installed (Debian's dpkg): the package cannot be built here");
        using var box = new ScriptSandbox();
        var (code, output, err) = Run(RepositoryFiles.PathOf("scripts/package-deb"), ["--out", Path.Combine(box.Dir, "out")],
            new Dictionary<string, string> { ["VFIOCTL_PUBLISHED"] = Program(box.Dir) });
        Assert.True(code == 0, $"package-deb exited {code}: {err}");
        var deb = output.Trim().Split('\n').Last();
        Assert.Matches(@"/vfioctl_\d+\.\d+\.\d+-\d+_amd64\.deb$", deb);

        var contents = Run("dpkg-deb", ["-c", deb]);
        Assert.Equal(0, contents.Code);
        foreach (var (path, mode) in new[]
        {
            ("./usr/bin/vfioctl", "-rwxr-xr-x"),
            ("./lib/systemd/system/vfioctl.service", "-rw-r--r--"),
            ("./usr/share/initramfs-tools/hooks/vfioctl", "-rwxr-xr-x"),
            ("./usr/lib/dracut/modules.d/90vfioctl/module-setup.sh", "-rwxr-xr-x"),
            ("./usr/share/man/man8/vfioctl.8.gz", "-rw-r--r--"),
            ("./usr/share/bash-completion/completions/vfioctl", "-rw-r--r--"),
            ("./usr/share/doc/vfioctl/copyright", "-rw-r--r--"),
            ("./usr/share/doc/vfioctl/changelog.Debian.gz", "-rw-r--r--"),
            ("./usr/share/lintian/overrides/vfioctl", "-rw-r--r--"),
        })
            Assert.Contains(contents.Out.Split('\n'), l => l.StartsWith(mode + " root/root", StringComparison.Ordinal) && l.EndsWith(" " + path, StringComparison.Ordinal));
        // The generated rule belongs to no package: removing the package must be able to remove it.
        Assert.DoesNotContain("40-vfioctl.rules", contents.Out);

        var field = (string name) => Run("dpkg-deb", ["-f", deb, name]).Out.Trim();
        Assert.Equal("vfioctl", field("Package"));
        Assert.Equal("amd64", field("Architecture"));
        var depends = field("Depends");
        foreach (var d in new[] { "libc6", "kmod", "udev" }) Assert.Contains(d, depends);
        Assert.Contains("initramfs-tools | dracut", field("Recommends"));
        var version = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(RepositoryFiles.PathOf("Directory.Build.props")), "<Version>(.*)</Version>").Groups[1].Value;
        Assert.Equal(version + "-1", field("Version"));

        var scripts = Run("dpkg-deb", ["-I", deb]).Out;
        foreach (var s in new[] { "postinst", "prerm", "postrm", "md5sums" }) Assert.Contains(s, scripts);
    }
}
