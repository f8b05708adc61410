using System.Diagnostics;
using Vfio.Tests.Support;

namespace Vfio.Tests.Cli;

/// <summary>
/// The vfioctl people install (scripts/publish) is one native program: it runs with no .NET anywhere
/// in its environment, carries no managed assemblies or runtime beside it, and says what the
/// in-process CLI says. scripts/test publishes it and names it in VFIOCTL_PUBLISHED.
/// </summary>
public class PublishedBinaryTests
{
    private static string Published()
    {
        var path = Environment.GetEnvironmentVariable("VFIOCTL_PUBLISHED");
        Assert.SkipWhen(string.IsNullOrEmpty(path), "VFIOCTL_PUBLISHED is not set: scripts/test publishes vfioctl and sets it");
        Assert.True(File.Exists(path), $"VFIOCTL_PUBLISHED names {path}, which does not exist");
        return path!;
    }

    /// <summary>Runs the binary with an environment that has no .NET in it: no DOTNET_* variables, no dotnet on PATH.</summary>
    private static (int Code, string Out, string Err) RunWithoutDotnet(string binary, params string[] args)
    {
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/nonexistent";
        psi.Environment["LANG"] = "C";
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), $"{binary} {string.Join(' ', args)} did not finish in 60 s");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void The_published_vfioctl_is_a_native_program_with_no_runtime_beside_it()
    {
        var binary = Published();
        var head = new byte[4];
        using (var f = File.OpenRead(binary)) f.ReadExactly(head);
        Assert.Equal(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }, head);
        var beside = Directory.EnumerateFiles(Path.GetDirectoryName(binary)!).Select(Path.GetFileName).ToList();
        Assert.DoesNotContain(beside, n => n!.EndsWith(".dll", StringComparison.Ordinal)
            || n.EndsWith(".runtimeconfig.json", StringComparison.Ordinal) || n.StartsWith("libcoreclr", StringComparison.Ordinal)
            || n.StartsWith("libhostfxr", StringComparison.Ordinal));

        var (code, output, error) = RunWithoutDotnet(binary, "--version");

        Assert.True(code == 0, $"--version exited {code}: {error}");
        Assert.Matches(@"^\d+\.\d+\.\d+", output.Trim());
    }

    [Theory]
    [InlineData("list")]
    [InlineData("groups")]
    [InlineData("show", "00:02.0")]
    public void The_native_program_reads_a_captured_host_exactly_as_the_library_does(params string[] command)
    {
        var binary = Published();
        var root = Fixtures.Archive("lab-basic-vfio-6.12");
        foreach (var json in new[] { false, true })
        {
            string[] args = [.. (json ? new[] { "--json" } : []), "--root", root, .. command];
            var expected = CliRun.Run(args);

            var (code, output, error) = RunWithoutDotnet(binary, args);

            Assert.Equal(expected.ExitCode, code);
            Assert.Equal(expected.Out, output);
            Assert.Equal(expected.Err, error);
        }
    }
}
