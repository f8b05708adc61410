using System.Globalization;
using Vfio.Host.Model;
using Vfio.Host.Sysfs;

namespace Vfio.Host.Reading;

/// <summary>Reads <see cref="MachineFacts"/>: the first CPU's block of <c>/proc/cpuinfo</c> (all CPUs share these fields), DMI and <c>/sys/hypervisor</c>.</summary>
public static class MachineReader
{
    public const string DmiVendorPath = "/sys/class/dmi/id/sys_vendor";
    public const string DmiProductPath = "/sys/class/dmi/id/product_name";
    public const string HypervisorTypePath = "/sys/hypervisor/type";

    public static MachineFacts Read(HostFiles files)
    {
        bool hypervisor = false;
        int? bits = null;
        string? vendor = null;
        using (var reader = files.OpenText("/proc/cpuinfo"))
        {
            while (reader?.ReadLine() is { } line)
            {
                if (line.Length == 0) break; // the first CPU's block is enough
                int colon = line.IndexOf(':');
                if (colon < 0) continue;
                var key = line[..colon].Trim();
                var value = line[(colon + 1)..].Trim();
                if (key == "flags") hypervisor = value.Split(' ').Contains("hypervisor");
                else if (key == "vendor_id") vendor = value;
                else if (key == "address sizes")
                {
                    var first = value.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
                    if (int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out int b)) bits = b;
                }
            }
        }
        return new MachineFacts
        {
            Hypervisor = hypervisor,
            HypervisorType = NonEmpty(files.ReadAttribute(HypervisorTypePath)),
            DmiVendor = NonEmpty(files.ReadAttribute(DmiVendorPath)),
            DmiProduct = NonEmpty(files.ReadAttribute(DmiProductPath)),
            PhysicalAddressBits = bits,
            CpuVendor = vendor,
        };
    }

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
