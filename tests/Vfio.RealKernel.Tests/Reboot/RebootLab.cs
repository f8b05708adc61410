using System.Diagnostics;

namespace Vfio.RealKernel.Tests.Reboot;

/// <summary>What one boot of a <see cref="RebootLab"/> guest gave: the command's exit status and output, and the lab's log.</summary>
/// <param name="ExitCode">The exit status of <c>vfioctl lab run</c> (the guest command's, or 1 when the lab failed).</param>
/// <param name="Output">The guest command's output (standard output of <c>vfioctl lab run</c>).</param>
/// <param name="Log">The lab's progress and errors (standard error of <c>vfioctl lab run</c>).</param>
public sealed record BootResult(int ExitCode, string Output, string Log)
{
    /// <summary>The value of the first output line <c>KEY=VALUE</c>, or null.</summary>
    public string? Value(string key) =>
        Output.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith(key + "=", StringComparison.Ordinal))?[(key.Length + 1)..];

    public override string ToString() => $"exit {ExitCode}\n--- output\n{Output}\n--- lab log\n{Log}";
}

/// <summary>
/// A lab guest that reboots: every <see cref="Boot"/> runs the native <c>vfioctl lab run --state DIR</c>
/// with the same state directory, so what one boot writes (files, udev rules, installed packages,
/// the topology's disks) is there in the next. Runs on the host, not in a guest; each boot is a
/// fresh QEMU (about 10-20 s under TCG, 30-40 s with <c>udev: true</c>). The state directory is
/// deleted on dispose.
/// </summary>
public sealed class RebootLab : IDisposable
{
    /// <summary>
    /// The kernels to test, from <c>VFIOCTL_LAB_KERNELS</c> (default "6.12 6.1"; scripts/lab-test
    /// sets one kernel per run).
    /// </summary>
    public static TheoryData<string> Kernels
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var n in KernelNames()) data.Add(n);
            return data;
        }
    }

    private static string[] KernelNames() =>
        (Environment.GetEnvironmentVariable("VFIOCTL_LAB_KERNELS") ?? "6.12 6.1").Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// Skips a scenario on every kernel but 6.12: for scenarios whose kernel part does not differ
    /// between the series and whose guests are slow (xunit counts a theory without data as a
    /// failure, so the data stays <see cref="Kernels"/> and the other kernels skip).
    /// </summary>
    public static void RequireCurrentKernel(string kernel) =>
        Assert.SkipUnless(kernel == "6.12", $"runs on 6.12 only (nothing in it differs on {kernel}, and its guests take minutes)");

    /// <summary>The native vfioctl: <c>VFIOCTL_PUBLISHED</c> when set (scripts/lab-test), else this checkout's scripts/publish output.</summary>
    public static string Vfioctl =>
        Environment.GetEnvironmentVariable("VFIOCTL_PUBLISHED") is { Length: > 0 } published ? published : InstalledVfioctl.Require();

    public RebootLab(string kernel)
    {
        Assert.SkipWhen(Guest.InLab, "the reboot tests boot guests themselves: they run on the host, not in a lab guest");
        Kernel = kernel;
        StateDirectory = Directory.CreateTempSubdirectory("vfioctl-reboot-").FullName;
    }

    /// <summary>The kernel series every boot uses.</summary>
    public string Kernel { get; }

    /// <summary>The <c>--state</c> directory shared by the boots.</summary>
    public string StateDirectory { get; }

    /// <summary>The boots so far, for failure messages.</summary>
    public List<BootResult> Boots { get; } = [];

    /// <summary>
    /// Boots <paramref name="topology"/> with the state directory and runs <paramref name="script"/>
    /// with <c>sh -c</c> in the guest (as root, in the test's working directory); with
    /// <paramref name="udev"/> the guest is coldplugged by systemd-udevd; without
    /// <paramref name="iommu"/> it has no IOMMU (<c>--no-iommu</c>).
    /// </summary>
    public BootResult Boot(string topology, string script, bool udev = false, int timeoutSeconds = 300, bool iommu = true)
    {
        var psi = new ProcessStartInfo(Vfioctl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in (string[])["lab", "run", "--topology", topology, "--kernel", Kernel, "--state", StateDirectory,
                     "--timeout", timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            psi.ArgumentList.Add(a);
        }
        if (udev) psi.ArgumentList.Add("--udev");
        if (!iommu) psi.ArgumentList.Add("--no-iommu");
        foreach (var a in (string[])["--", "sh", "-c", script]) psi.ArgumentList.Add(a);

        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds + 120)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"vfioctl lab run ({topology}, {Kernel}) did not finish in {timeoutSeconds + 120} s");
        }
        var result = new BootResult(p.ExitCode, stdout.Result, stderr.Result);
        Boots.Add(result);
        return result;
    }

    /// <summary><see cref="Boot"/>, asserting that the script exited 0.</summary>
    public BootResult BootOk(string topology, string script, bool udev = false, int timeoutSeconds = 300, bool iommu = true)
    {
        var r = Boot(topology, script, udev, timeoutSeconds, iommu);
        Assert.True(r.ExitCode == 0, $"boot {Boots.Count} ({topology}, {Kernel}{(udev ? ", udev" : "")}) failed: {r}");
        return r;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(StateDirectory, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
