using System.Diagnostics;
using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;

namespace Vfio.RealKernel.Tests;

/// <summary>
/// The guest these tests run in (a `vfioctl lab run` guest: root, a real kernel with an emulated
/// Intel IOMMU, a named device topology). Outside a lab guest every test is skipped.
/// </summary>
internal static class Guest
{
    public static bool InLab => Environment.GetEnvironmentVariable("VFIOCTL_LAB") == "1";
    public static string? Topology => Environment.GetEnvironmentVariable("VFIOCTL_LAB_TOPOLOGY");
    public static string? Kernel => Environment.GetEnvironmentVariable("VFIOCTL_LAB_KERNEL");

    /// <summary>Skips the test unless running inside a lab guest of one of the given topologies.</summary>
    public static void Require(params string[] topologies)
    {
        Assert.SkipUnless(InLab, "needs a real-kernel lab guest (scripts/lab-test runs this suite inside one)");
        Assert.SkipUnless(topologies.Contains(Topology), $"needs topology {string.Join("/", topologies)}, this guest is {Topology}");
    }

    public static HostState ReadHost() => HostReader.Read(HostFiles.System);

    /// <summary>Runs a command and returns its exit code and standard output; standard error is appended on failure.</summary>
    public static (int Code, string Out) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 120 s"); }
        return (p.ExitCode, stdout.Result + (p.ExitCode != 0 ? stderr.Result : ""));
    }

    public static string Sh(string script)
    {
        var (code, output) = Run("/bin/sh", "-c", script);
        Assert.True(code == 0, $"sh -c '{script}' exited {code}: {output}");
        return output;
    }

    /// <summary>Writes a sysfs attribute the way a shell `echo` would (one write).</summary>
    public static void WriteSysfs(string path, string value) => File.WriteAllText(path, value);

    /// <summary>Addresses of the devices with this vendor:device, sorted.</summary>
    public static List<PciAddress> FindByIds(HostState host, string vendorDevice) =>
        [.. host.Devices.Where(d => d.VendorDevice == vendorDevice).Select(d => d.Address).Order()];

    /// <summary>Binds a device to a driver with driver_override, unbind and drivers_probe (kernel-facts section 1).</summary>
    public static void BindWithOverride(PciAddress a, string driver)
    {
        var dir = $"/sys/bus/pci/devices/{a}";
        WriteSysfs($"{dir}/driver_override", driver);
        if (File.Exists($"{dir}/driver/unbind")) WriteSysfs($"{dir}/driver/unbind", a.ToString());
        WriteSysfs("/sys/bus/pci/drivers_probe", a.ToString());
    }

    /// <summary>Clears the override and lets the kernel pick the device's normal driver again.</summary>
    public static void ReturnToKernel(PciAddress a)
    {
        var dir = $"/sys/bus/pci/devices/{a}";
        WriteSysfs($"{dir}/driver_override", "\n");
        if (File.Exists($"{dir}/driver/unbind")) WriteSysfs($"{dir}/driver/unbind", a.ToString());
        try { WriteSysfs("/sys/bus/pci/drivers_probe", a.ToString()); }
        catch (IOException) { /* no driver for it (edu): it stays unbound, as it started */ }
    }

    public static string? DriverOf(PciAddress a)
    {
        var t = new FileInfo($"/sys/bus/pci/devices/{a}/driver").LinkTarget;
        return t is null ? null : Path.GetFileName(t);
    }
}
