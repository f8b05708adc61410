using System.CommandLine;
using System.Collections.Immutable;
using System.Globalization;
using Vfio;
using Vfio.Host.Sysfs;
using Vfio.Policy.Vm;
using Vfioctl.Commands.Options;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl vm-args ADDRESS...</c>: what a VM needs to receive devices already on vfio (docs/vm.md).</summary>
internal static class VmArgsCommand
{
    private static readonly Argument<string[]> Targets = AssignmentOptions.Addresses("Devices on a vfio driver to give to one VM");
    private static readonly Option<string> For = new("--for") { Description = "qemu (command line arguments) or libvirt (domain XML)", DefaultValueFactory = _ => "qemu" };
    private static readonly Option<string> Firmware = new("--firmware") { Description = "ovmf (UEFI) or seabios: OVMF sizes its 64-bit window from its own fw_cfg setting", DefaultValueFactory = _ => "ovmf" };
    private static readonly Option<string> Memory = new("--memory") { Description = "The VM's RAM (e.g. 16G, 4096M): the 64-bit window lies above it", DefaultValueFactory = _ => "16G" };

    public static Command Create() => CommandActions.Define("vm-args",
        "Print what a QEMU or libvirt VM needs to receive devices on vfio: -device lines (a slot's functions together), the 64-bit MMIO window and address bits their BARs need",
        Run, Targets, For, Firmware, Memory);

    private static int Run(ParseResult parse, Terminal term)
    {
        var targets = AssignmentOptions.RequiredTargets(parse, Targets);
        var format = parse.GetValue(For) switch
        {
            "qemu" => VmmFormat.Qemu,
            "libvirt" => VmmFormat.Libvirt,
            var other => throw new UsageException($"--for '{other}': expected qemu or libvirt."),
        };
        var firmware = parse.GetValue(Firmware) switch
        {
            "ovmf" => VmFirmware.Ovmf,
            "seabios" => VmFirmware.SeaBios,
            var other => throw new UsageException($"--firmware '{other}': expected ovmf or seabios."),
        };
        ulong memory = ParseSize(parse.GetValue(Memory)!);
        bool json = parse.GetValue(GlobalOptions.Json);
        using var view = HostView.Open(parse.GetValue(GlobalOptions.Root)!);
        var files = new HostFiles(view.Host.Root);
        // The host model already knows each device's VFIO device and whether its cdev and /dev/iommu exist.
        var cdevs = ImmutableDictionary.CreateBuilder<PciAddress, string>();
        if (view.Host.Iommufd)
            foreach (var a in targets)
                if (view.Host.FindDevice(a) is { } d && view.Host.CdevOf(d) is { } cdev)
                    cdevs[a] = cdev;
        var request = new VmArgsRequest
        {
            Devices = [.. targets],
            Format = format,
            Firmware = firmware,
            GuestMemory = memory,
            Kvm = KvmUsable(files),
            Cdevs = cdevs.ToImmutable(),
        };
        var plan = VmArgsPlanner.Plan(view.Host, request);
        if (json) Json.Write(term.Out, w => WriteJson(w, plan));
        else if (!plan.CanApply) RefusalWriter.WriteText(term.Error, plan.Refusals, force: false);
        else WriteText(term.Out, plan);
        return plan.CanApply ? ExitCodes.Success : ExitCodes.Refused;
    }

    /// <summary>QEMU can use KVM when /dev/kvm opens for reading and writing (on a captured tree: when it is there).</summary>
    private static bool KvmUsable(HostFiles files)
    {
        if (!files.Exists("/dev/kvm")) return false;
        if (!files.IsLive) return true;
        try
        {
            using var h = File.OpenHandle("/dev/kvm", FileMode.Open, FileAccess.ReadWrite);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static ulong ParseSize(string text)
    {
        var t = text.Trim().ToUpperInvariant();
        ulong unit = 1UL << 20;
        if (t.EndsWith('G')) { unit = 1UL << 30; t = t[..^1]; }
        else if (t.EndsWith('T')) { unit = 1UL << 40; t = t[..^1]; }
        else if (t.EndsWith('M')) t = t[..^1];
        if (!ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) || n == 0)
            throw new UsageException($"--memory '{text}': expected a size such as 16G, 4096M or 1T (a plain number is MiB).");
        return n * unit;
    }

    private static void WriteText(TextWriter o, VmArgsPlan p)
    {
        var r = p.Request;
        o.WriteLine($"# vfioctl vm-args {string.Join(' ', r.Devices)} ({(r.Format == VmmFormat.Qemu ? "QEMU q35" : "libvirt, q35")}, {(r.Firmware == VmFirmware.Ovmf ? "OVMF" : "SeaBIOS")}, {MmioWindow.Human(r.GuestMemory)} of guest RAM, {(r.Kvm ? "KVM" : "no usable /dev/kvm: TCG")})");
        o.WriteLine($"# 64-bit BARs {MmioWindow.Human(p.Bars64)}: a {MmioWindow.Human(p.Window)} 64-bit MMIO window{(p.Window > MmioWindow.Q35DefaultHole64 ? "" : " (q35's default is enough)")}; guest physical address bits {p.PhysBits}{(p.HostPhysBits is { } h ? $" (host {h})" : "")}");
        foreach (var n in p.Notes) o.WriteLine($"# note: {n}");
        if (r.Format == VmmFormat.Libvirt)
        {
            o.Write(p.LibvirtXml);
            return;
        }
        var pairs = p.QemuArgs.Chunk(2).Select(c => string.Join(' ', c.Select(Word))).ToList();
        for (int i = 0; i < pairs.Count; i++) o.WriteLine(pairs[i] + (i < pairs.Count - 1 ? " \\" : ""));
    }

    /// <summary>A shell word: as it is when it needs no quoting, else in single quotes.</summary>
    private static string Word(string a) =>
        a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or ',' or '.' or '=' or ':' or '/' or '+')
            ? a : "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static void WriteJson(System.Text.Json.Utf8JsonWriter w, VmArgsPlan p)
    {
        w.WriteStartObject();
        w.WriteString("for", p.Request.Format == VmmFormat.Qemu ? "qemu" : "libvirt");
        w.WriteString("firmware", p.Request.Firmware == VmFirmware.Ovmf ? "ovmf" : "seabios");
        w.WriteNumber("guestMemory", p.Request.GuestMemory);
        w.WriteBoolean("kvm", p.Request.Kvm);
        w.WriteBoolean("canApply", p.CanApply);
        RefusalWriter.WriteJson(w, p.Refusals);
        w.WriteNumber("bars64", p.Bars64);
        w.WriteNumber("window", p.Window);
        w.WriteNumber("physBits", p.PhysBits);
        w.NumberOrNull("hostPhysBits", p.HostPhysBits);
        w.WriteStartArray("functions");
        foreach (var f in p.Functions)
        {
            w.WriteStartObject();
            w.WriteString("host", f.Host.ToString());
            w.WriteNumber("port", f.Port);
            w.WriteNumber("guestFunction", f.GuestFunction);
            w.WriteBoolean("multifunction", f.Multifunction);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.Strings("qemuArgs", p.QemuArgs);
        w.StringOrNull("libvirtXml", p.LibvirtXml);
        w.Strings("notes", p.Notes);
        w.WriteEndObject();
    }
}
