using System.CommandLine;
using System.Globalization;
using Vfio.Execution.State;
using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfioctl.Commands.Options;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl sriov list</c>: every PF with its VF counts, driver, autoprobe, token, and each VF's driver, group and holders.</summary>
internal static class SriovListCommand
{
    public static Command Create()
    {
        var cmd = new Command("list", "List SR-IOV PFs: total and current VFs, PF driver, autoprobe, VF token, and each VF's driver and group");
        cmd.Options.Add(AssignmentOptions.StateDir);
        cmd.SetAction(parse => CommandActions.WithHost(parse, (term, view, json) =>
        {
            var tokens = LoadTokens(view, parse.GetValue(AssignmentOptions.StateDir)!);
            var pfs = view.Host.Devices.Where(d => d.Sriov is not null && !d.IsVirtualFunction).ToList();
            if (json) WriteJson(term, view, pfs, tokens);
            else Print(term, view, pfs, tokens);
            return ExitCodes.Success;
        }, new HostReadOptions { GroupUsers = true }));
        return cmd;
    }

    /// <summary>The token store when it can be read (it is root-only); null when it cannot.</summary>
    private static VfTokenStore? LoadTokens(HostView view, string stateDir)
    {
        try
        {
            return new StateDirectory(new HostFiles(view.Host.Root), stateDir).LoadTokens();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return null;
        }
    }

    private static IEnumerable<ProcessRef> OpenBy(HostView view, PciDevice vf)
    {
        var users = vf.IommuGroup is { } g && view.Host.GroupUsers.TryGetValue(g, out var u) ? u : [];
        return users.Concat(view.Host.VfioDeviceFds.Where(f => f.Device == vf.Address).Select(f => f.Process)).Distinct();
    }

    private static void Print(Terminal term, HostView view, List<PciDevice> pfs, VfTokenStore? tokens)
    {
        var o = term.Out;
        o.WriteLine(pfs.Count == 0 ? "No SR-IOV physical functions." : $"SR-IOV physical functions ({pfs.Count})");
        foreach (var pf in pfs)
        {
            var s = pf.Sriov!;
            o.WriteLine($"{pf.Address} {view.Describe(pf)}");
            var token = tokens is null ? "unknown (the store is root-only)" : tokens.Find(pf.Address) is null ? "none stored" : "stored";
            o.WriteLine($"  driver {pf.Driver ?? "none"}, VFs {s.NumVfs?.ToString(CultureInfo.InvariantCulture) ?? "?"} of {s.TotalVfs?.ToString(CultureInfo.InvariantCulture) ?? "?"}"
                + $" (offset {s.Offset?.ToString(CultureInfo.InvariantCulture) ?? "?"}, stride {s.Stride?.ToString(CultureInfo.InvariantCulture) ?? "?"}, VF id {Json.Hex4(s.VfDeviceId) ?? "?"}),"
                + $" autoprobe {SriovPlanWriter.OnOff(s.DriversAutoprobe)}, VF token {token}");
            foreach (var a in s.VirtualFunctions)
            {
                var vf = view.Host.FindDevice(a);
                if (vf is null) continue;
                var open = OpenBy(view, vf).ToList();
                var line = $"  {a}  {vf.Driver ?? "no driver",-10} group {vf.IommuGroup?.ToString(CultureInfo.InvariantCulture) ?? "-",-4}";
                o.WriteLine(open.Count > 0 ? $"{line} open by {string.Join(", ", open)}" : line.TrimEnd());
            }
        }
    }

    private static void WriteJson(Terminal term, HostView view, List<PciDevice> pfs, VfTokenStore? tokens) =>
        Json.Write(term.Out, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("pfs");
            foreach (var pf in pfs)
            {
                var s = pf.Sriov!;
                w.WriteStartObject();
                w.WriteString("address", pf.Address.ToString());
                w.StringOrNull("vendorId", Json.Hex4(pf.VendorId));
                w.StringOrNull("deviceId", Json.Hex4(pf.DeviceId));
                w.StringOrNull("vendorName", view.VendorName(pf));
                w.StringOrNull("deviceName", view.DeviceName(pf));
                w.StringOrNull("driver", pf.Driver);
                w.NumberOrNull("iommuGroup", pf.IommuGroup);
                w.NumberOrNull("totalVfs", s.TotalVfs);
                w.NumberOrNull("numVfs", s.NumVfs);
                w.NumberOrNull("offset", s.Offset);
                w.NumberOrNull("stride", s.Stride);
                w.StringOrNull("vfDeviceId", Json.Hex4(s.VfDeviceId));
                w.BoolOrNull("autoprobe", s.DriversAutoprobe);
                w.BoolOrNull("tokenStored", tokens is null ? null : tokens.Find(pf.Address) is not null);
                w.WriteStartArray("vfs");
                foreach (var a in s.VirtualFunctions)
                {
                    if (view.Host.FindDevice(a) is not { } vf) continue;
                    w.WriteStartObject();
                    w.WriteString("address", a.ToString());
                    w.StringOrNull("driver", vf.Driver);
                    w.StringOrNull("driverOverride", vf.DriverOverride);
                    w.NumberOrNull("iommuGroup", vf.IommuGroup);
                    w.StringOrNull("vfioNode", view.Host.GroupOf(vf)?.VfioNode);
                    w.Processes("openBy", OpenBy(view, vf));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.Strings("warnings", view.Host.Warnings);
            w.WriteEndObject();
        });
}
