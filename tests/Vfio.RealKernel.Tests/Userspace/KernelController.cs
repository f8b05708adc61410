using System.Diagnostics;

namespace Vfio.RealKernel.Tests.Userspace;

/// <summary>
/// What the kernel's nvme driver says about a controller, from <c>/sys/class/nvme/nvmeN</c>: model,
/// serial and firmware revision, and its namespace block device. The controller's attributes print
/// the whole space-padded Identify field (nvme_show_str_function: <c>"%.*s\n"</c> with the field's
/// size, in drivers/nvme/host/sysfs.c on 6.12 and core.c on 6.1; seen: <c>"labnvme0            "</c>);
/// the kernel trims the padding only where it compares or names things (nvme_strlen, the
/// nvme-subsystem attributes), so the padding is trimmed here the same way.
/// </summary>
internal sealed record KernelController(string Name, string Model, string Serial, string Firmware)
{
    /// <summary>The nvme class device whose <c>device</c> link is the PCI function at <paramref name="address"/>.</summary>
    public static KernelController Of(PciAddress address)
    {
        var dir = Find(address) ?? throw new InvalidOperationException($"no /sys/class/nvme entry for {address}: is it bound to nvme?");
        string Attr(string name) => File.ReadAllText(Path.Combine(dir, name)).TrimEnd('\n').TrimEnd(' ');
        return new KernelController(Path.GetFileName(dir), Attr("model"), Attr("serial"), Attr("firmware_rev"));
    }

    private static string? Find(PciAddress address)
    {
        if (!Directory.Exists("/sys/class/nvme")) return null;
        foreach (var dir in Directory.GetDirectories("/sys/class/nvme"))
        {
            var device = new DirectoryInfo(Path.Combine(dir, "device")).ResolveLinkTarget(returnFinalTarget: true);
            if (device is not null && device.Name == address.ToString()) return dir;
        }
        return null;
    }

    /// <summary>
    /// Waits for the controller's first namespace disk (<c>nvmeXnY</c> with its <c>/dev</c> node) and
    /// returns its name. The driver scans namespaces in a work item after probe, so the disk comes a
    /// little after the bind. Without native multipath the disk sits under the controller; with it,
    /// under the subsystem (<c>nvme-subsysN</c>), which links each of its controllers by name.
    /// </summary>
    public static string WaitForNamespaceDisk(PciAddress address, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (Find(address) is { } dir)
            {
                string controller = Path.GetFileName(dir);
                foreach (var block in Directory.GetDirectories("/sys/block", "nvme*").Order(StringComparer.Ordinal))
                {
                    string name = Path.GetFileName(block);
                    if (!Path.Exists("/dev/" + name)) continue;
                    var real = new DirectoryInfo(block).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? block;
                    var parent = Path.GetDirectoryName(real) ?? "";
                    if (real.Contains($"/{address}/", StringComparison.Ordinal)
                        || (Path.GetFileName(parent).StartsWith("nvme-subsys", StringComparison.Ordinal) && Path.Exists(Path.Combine(parent, controller))))
                        return name;
                }
            }
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"no namespace disk of {address} appeared within {timeout.TotalSeconds:0} s (driver: {Guest.DriverOf(address) ?? "none"})");
            Thread.Sleep(200);
        }
    }
}
