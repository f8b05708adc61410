using System.Text.Json;
using Vfio.Host.Model;

namespace Vfioctl.Output;

/// <summary>The JSON shapes of devices (docs/json-schema.md). Hex ids lower-case without 0x.</summary>
internal static class DeviceJson
{
    /// <summary>An entry of <c>list --json</c>.</summary>
    public static void WriteListEntry(Utf8JsonWriter w, HostView view, PciDevice d)
    {
        w.WriteStartObject();
        w.WriteString("address", d.Address.ToString());
        w.StringOrNull("vendorId", Json.Hex4(d.VendorId));
        w.StringOrNull("deviceId", Json.Hex4(d.DeviceId));
        w.StringOrNull("subsystemVendorId", Json.Hex4(d.SubsystemVendorId));
        w.StringOrNull("subsystemDeviceId", Json.Hex4(d.SubsystemDeviceId));
        w.StringOrNull("class", d.Class?.ToString());
        w.StringOrNull("driver", d.Driver);
        w.StringOrNull("driverOverride", d.DriverOverride);
        w.NumberOrNull("iommuGroup", d.IommuGroup);
        w.StringOrNull("vendorName", view.VendorName(d));
        w.StringOrNull("deviceName", view.DeviceName(d));
        w.StringOrNull("className", view.ClassName(d));
        w.StringOrNull("physfn", d.PhysFn?.ToString());
        w.WriteString("verdict", view.VerdictText(d));
        w.WriteEndObject();
    }

    /// <summary>A member in <c>groups --json</c>.</summary>
    public static void WriteGroupMember(Utf8JsonWriter w, HostView view, PciDevice d)
    {
        w.WriteStartObject();
        w.WriteString("address", d.Address.ToString());
        w.StringOrNull("vendorId", Json.Hex4(d.VendorId));
        w.StringOrNull("deviceId", Json.Hex4(d.DeviceId));
        w.StringOrNull("class", d.Class?.ToString());
        w.StringOrNull("driver", d.Driver);
        w.StringOrNull("driverOverride", d.DriverOverride);
        w.StringOrNull("physfn", d.PhysFn?.ToString());
        w.StringOrNull("vendorName", view.VendorName(d));
        w.StringOrNull("deviceName", view.DeviceName(d));
        w.WriteBoolean("bridge", d.IsBridge);
        w.WriteEndObject();
    }
}
