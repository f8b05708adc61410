using System.Text.Json;
using Vfio.Host.Model;
using Vfio.Policy.Viability;

namespace Vfioctl.Output;

/// <summary>The JSON shapes of devices (docs/json-schema.md). Hex ids lower-case without 0x.</summary>
internal static class DeviceJson
{
    /// <summary>"real", "not-real", "unknown".</summary>
    public static string IsolationText(Isolation i) => i switch { Isolation.NotReal => "not-real", Isolation.Unknown => "unknown", _ => "real" };

    /// <summary>The <c>iommu</c> object of groups and list: whether there is one, and if not why and where this runs.</summary>
    public static void WriteIommu(Utf8JsonWriter w, HostView view)
    {
        w.WriteStartObject("iommu");
        w.WriteBoolean("enabled", view.Host.IommuEnabled);
        w.StringOrNull("diagnosis", view.Diagnosis);
        w.Strings("units", view.Host.IommuUnits);
        w.WriteBoolean("noIommuMode", view.Host.NoIommuMode);
        w.WriteBoolean("iommufd", view.Host.Iommufd);
        w.WriteString("machine", IommuDiagnosis.KindOf(view.Host) == MachineKind.VirtualMachine ? "virtual-machine" : "bare-metal");
        w.StringOrNull("hypervisor", IommuDiagnosis.HypervisorName(view.Host));
        w.WriteEndObject();
    }

    /// <summary>An entry of <c>list --json</c>.</summary>
    public static void WriteListEntry(Utf8JsonWriter w, HostView view, PciDevice d)
    {
        w.WriteStartObject();
        WriteIds(w, d);
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

    /// <summary>A group with its verdict and members: an entry of <c>groups --json</c>, and <c>group</c> in <c>show --json</c>.</summary>
    public static void WriteGroup(Utf8JsonWriter w, HostView view, Vfio.Host.Model.IommuGroup g, Vfio.Policy.Viability.GroupVerdict v)
    {
        w.WriteStartObject();
        w.WriteNumber("id", g.Id);
        w.WriteBoolean("viable", v.Viable);
        w.WriteString("status", HostView.StatusText(v.Status));
        w.Strings("reasons", v.Reasons);
        w.Strings("notes", v.Notes);
        w.WriteString("isolation", IsolationText(v.Isolation));
        w.Strings("isolationReasons", v.IsolationReasons);
        w.StringOrNull("type", g.Type);
        w.StringOrNull("vfioNode", g.VfioNode);
        w.WriteStartArray("devices");
        foreach (var a in g.Devices)
            if (view.Host.FindDevice(a) is { } d) WriteGroupMember(w, view, d);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>The ids every device object starts with.</summary>
    public static void WriteIds(Utf8JsonWriter w, PciDevice d)
    {
        w.WriteString("address", d.Address.ToString());
        w.StringOrNull("vendorId", Json.Hex4(d.VendorId));
        w.StringOrNull("deviceId", Json.Hex4(d.DeviceId));
        w.StringOrNull("subsystemVendorId", Json.Hex4(d.SubsystemVendorId));
        w.StringOrNull("subsystemDeviceId", Json.Hex4(d.SubsystemDeviceId));
        w.StringOrNull("class", d.Class?.ToString());
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
