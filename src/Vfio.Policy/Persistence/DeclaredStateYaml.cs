using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Vfio.Host.Model;
using Vfio.Policy.Assignment;
using Vfio.Policy.Sriov;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Vfio.Policy.Persistence;

/// <summary>
/// The declared state's YAML: parsed through YamlDotNet's representation model (no reflection, so
/// the native build keeps working) and checked strictly, every problem reported as FILE:LINE;
/// written back in one canonical layout. The schema is in docs/persistence.md.
/// </summary>
public static class DeclaredStateYaml
{
    /// <summary>The keys of an entry under <c>devices:</c>.</summary>
    public static readonly ImmutableArray<string> DeviceKeys = ["address", "driver", "fence", "force", "identity"];
    /// <summary>The keys of an entry under <c>sriov:</c>.</summary>
    public static readonly ImmutableArray<string> PfKeys = ["pf", "vfs", "autoprobe", "pf-driver", "vf-driver", "vf-token", "force", "identity"];
    /// <summary>The keys of an <c>identity:</c> map.</summary>
    public static readonly ImmutableArray<string> IdentityKeys = ["vendor", "device", "subsystem-vendor", "subsystem-device", "serial", "pf", "vf-index"];
    private static readonly ImmutableArray<string> PfIdentityKeys = ["address", "vendor", "device", "subsystem-vendor", "subsystem-device", "serial"];
    private static readonly ImmutableArray<string> TopKeys = ["version", "devices", "sriov"];

    /// <summary>Parses <paramref name="text"/> (read from <paramref name="file"/>, used in messages); throws <see cref="DeclaredStateFormatException"/> on the first problem.</summary>
    public static DeclaredState Parse(string text, string file)
    {
        var p = new Parser(file);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            // At the end of the file the parser may count a line past the last one.
            throw p.Error((int)Math.Min(e.Start.Line, text.Count(c => c == '\n') + 1), $"not valid YAML ({OneLine(e.Message)}); fix the file or restore it from a backup.");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            throw p.Error(1, $"'version: {DeclaredState.CurrentVersion}' is missing: the file is empty or was cut short. Declare devices with 'vfioctl persist add', or remove the file.");
        if (stream.Documents.Count > 1)
            throw p.Error(Line(stream.Documents[1].RootNode), "more than one YAML document; the file holds one.");
        var root = stream.Documents[0].RootNode;
        var top = p.Map(root, "the file");
        p.OnlyKeys(top, TopKeys, "the file");
        if (p.Optional(top, "version") is not { } versionNode)
            throw p.Error(LastLine(text), $"'version: {DeclaredState.CurrentVersion}' is missing: vfioctl writes it last, so a file without it was cut short (or written by hand without it).");
        int version = p.Int(versionNode, "version");
        if (version != DeclaredState.CurrentVersion)
            throw p.Error(Line(versionNode), $"version {version} is not one this vfioctl reads ({DeclaredState.CurrentVersion}); a newer vfioctl wrote it.");

        var devices = new List<DeclaredDevice>();
        foreach (var node in p.Sequence(top, "devices"))
        {
            var d = p.Device(node);
            if (devices.FirstOrDefault(x => x.Address == d.Address) is { } first)
                throw p.Error(d.Line, $"{d.Address} is declared twice (also at line {first.Line}); keep one entry.");
            devices.Add(d);
        }
        var pfs = new List<DeclaredPf>();
        foreach (var node in p.Sequence(top, "sriov"))
        {
            var pf = p.Pf(node);
            if (pfs.FirstOrDefault(x => x.Pf == pf.Pf) is { } first)
                throw p.Error(pf.Line, $"PF {pf.Pf} is declared twice (also at line {first.Line}); keep one entry.");
            if (devices.FirstOrDefault(x => x.Address == pf.Pf) is { } dev && !pf.PfToVfioPci)
                throw p.Error(pf.Line, $"{pf.Pf} is under devices (line {dev.Line}), which moves it to userspace, and under sriov with its host driver; say 'pf-driver: vfio-pci' here and remove the devices entry.");
            pfs.Add(pf);
        }
        return new DeclaredState { Devices = [.. devices], Sriov = [.. pfs] };
    }

    /// <summary>The canonical text of <paramref name="state"/>, with a header saying what the file is.</summary>
    public static string Format(DeclaredState state)
    {
        var s = new StringBuilder();
        s.Append("# vfioctl declared state: what 'vfioctl apply' assigns, and what the generated udev rule\n");
        s.Append("# claims early in boot. Edit with 'vfioctl persist add|remove', or by hand, then run\n");
        s.Append("# 'vfioctl persist rules' to regenerate the rule. Schema: vfioctl(8), docs/persistence.md.\n");
        s.Append("# 'vfioctl persist' rewrites this file in this layout; comments other than this header are not kept.\n");
        s.Append("# 'version' comes last: a file cut short lacks it and is refused.\n");
        s.Append(state.Devices.IsEmpty ? "devices: []\n" : "devices:\n");
        foreach (var d in state.Devices.OrderBy(d => d.Address))
        {
            s.Append(CultureInfo.InvariantCulture, $"  - address: \"{d.Address}\"\n");
            s.Append(CultureInfo.InvariantCulture, $"    driver: {d.Driver.Value}\n");
            if (!d.Fence.IsEmpty) s.Append(CultureInfo.InvariantCulture, $"    fence: [{string.Join(", ", d.Fence.Select(f => $"\"{f}\""))}]\n");
            if (d.Force) s.Append("    force: true\n");
            if (d.Identity is { } id) WriteIdentity(s, id, "    ");
        }
        s.Append(state.Sriov.IsEmpty ? "sriov: []\n" : "sriov:\n");
        foreach (var pf in state.Sriov.OrderBy(p => p.Pf))
        {
            s.Append(CultureInfo.InvariantCulture, $"  - pf: \"{pf.Pf}\"\n");
            s.Append(CultureInfo.InvariantCulture, $"    vfs: {pf.NumVfs}\n");
            if (pf.Autoprobe is { } ap) s.Append(CultureInfo.InvariantCulture, $"    autoprobe: {(ap ? "on" : "off")}\n");
            s.Append(CultureInfo.InvariantCulture, $"    pf-driver: {(pf.PfToVfioPci ? "vfio-pci" : "host")}\n");
            s.Append(CultureInfo.InvariantCulture, $"    vf-driver: {VfDriverText(pf.VfDriver)}\n");
            s.Append(CultureInfo.InvariantCulture, $"    vf-token: {(pf.VfToken == DeclaredToken.Stored ? "stored" : "none")}\n");
            if (pf.Force) s.Append("    force: true\n");
            if (pf.Identity is { } id) WriteIdentity(s, id, "    ");
        }
        // Last, so that a file cut short anywhere before its end lacks it and is refused.
        s.Append(CultureInfo.InvariantCulture, $"version: {DeclaredState.CurrentVersion}\n");
        return s.ToString();
    }

    public static string VfDriverText(VfBinding b) => b switch
    {
        VfBinding.VfioPci => "vfio-pci",
        VfBinding.None => "none",
        _ => "auto",
    };

    private static void WriteIdentity(StringBuilder s, DeviceIdentity id, string indent)
    {
        s.Append(indent).Append("identity:\n");
        string i = indent + "  ";
        WriteIds(s, id, i);
        if (id.Pf is { } pf)
        {
            s.Append(i).Append("pf:\n");
            if (id.PfAddress is { } a) s.Append(i).Append(CultureInfo.InvariantCulture, $"  address: \"{a}\"\n");
            WriteIds(s, pf, i + "  ");
        }
        if (id.VfIndex is { } n) s.Append(i).Append(CultureInfo.InvariantCulture, $"vf-index: {n}\n");
    }

    private static void WriteIds(StringBuilder s, DeviceIdentity id, string i)
    {
        s.Append(i).Append(CultureInfo.InvariantCulture, $"vendor: \"{id.VendorId:x4}\"\n");
        s.Append(i).Append(CultureInfo.InvariantCulture, $"device: \"{id.DeviceId:x4}\"\n");
        if (id.SubsystemVendorId is { } sv) s.Append(i).Append(CultureInfo.InvariantCulture, $"subsystem-vendor: \"{sv:x4}\"\n");
        if (id.SubsystemDeviceId is { } sd) s.Append(i).Append(CultureInfo.InvariantCulture, $"subsystem-device: \"{sd:x4}\"\n");
        if (id.Serial is { } serial) s.Append(i).Append(CultureInfo.InvariantCulture, $"serial: \"{serial}\"\n");
    }

    private static int Line(YamlNode node) => checked((int)node.Start.Line);

    private static int LastLine(string text) => Math.Max(1, text.TrimEnd('\n').Count(c => c == '\n') + 1);

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    private sealed class Parser(string file)
    {
        public DeclaredStateFormatException Error(int line, string problem) => new(file, Math.Max(line, 1), problem);

        public YamlMappingNode Map(YamlNode node, string what) =>
            node as YamlMappingNode ?? throw Error(Line(node), $"{what} must be a map of 'key: value' lines.");

        public void OnlyKeys(YamlMappingNode map, ImmutableArray<string> keys, string what)
        {
            foreach (var key in map.Children.Keys)
            {
                var name = (key as YamlScalarNode)?.Value ?? "";
                if (!keys.Contains(name))
                    throw Error(Line(key), $"unknown key '{name}' in {what}; the keys are: {string.Join(", ", keys)}.");
            }
        }

        public YamlNode? Optional(YamlMappingNode map, string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

        public YamlNode Required(YamlMappingNode map, string key, string what) =>
            Optional(map, key) ?? throw Error(Line(map), $"{what} has no '{key}'; a file missing it may be half-written.");

        public IEnumerable<YamlNode> Sequence(YamlMappingNode map, string key)
        {
            var node = Optional(map, key);
            if (node is null or YamlScalarNode { Value: null or "" }) return [];
            return node is YamlSequenceNode seq ? seq.Children
                : throw Error(Line(node), $"'{key}' must be a list ('- ' entries) or [].");
        }

        public string Scalar(YamlNode node, string key) =>
            node is YamlScalarNode { Value: { } v } ? v.Trim() : throw Error(Line(node), $"'{key}' must be a single value.");

        public int Int(YamlNode node, string key) =>
            int.TryParse(Scalar(node, key), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v
                : throw Error(Line(node), $"'{key}: {Scalar(node, key)}' is not a whole number.");

        public bool Bool(YamlNode node, string key) => Scalar(node, key).ToLowerInvariant() switch
        {
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            var other => throw Error(Line(node), $"'{key}: {other}' must be true or false."),
        };

        public PciAddress Address(YamlNode node, string key) =>
            PciAddress.TryParse(Scalar(node, key), out var a) ? a
                : throw Error(Line(node), $"'{key}: {Scalar(node, key)}' is not a PCI address; expected {PciAddress.ExpectedForm}.");

        private ushort Hex16(YamlNode node, string key)
        {
            var t = Scalar(node, key);
            if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) t = t[2..];
            return t.Length is > 0 and <= 4 && ushort.TryParse(t, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v) ? v
                : throw Error(Line(node), $"'{key}: {Scalar(node, key)}' is not a 16-bit hex id (e.g. \"8086\").");
        }

        public DeclaredDevice Device(YamlNode node)
        {
            var map = Map(node, "a devices entry");
            OnlyKeys(map, DeviceKeys, "a devices entry");
            var address = Address(Required(map, "address", "a devices entry"), "address");
            var driverNode = Optional(map, "driver");
            var driver = driverNode is null ? DriverRequest.Auto
                : DriverRequest.Parse(Scalar(driverNode, "driver")) ?? throw Error(Line(driverNode), $"'driver: {Scalar(driverNode, "driver")}' is not auto, vfio-pci, pci-stub or a driver name.");
            var fence = new List<PciAddress>();
            if (Optional(map, "fence") is { } fenceNode)
            {
                var items = fenceNode switch
                {
                    YamlSequenceNode seq => seq.Children,
                    YamlScalarNode { Value: null or "" } => [],
                    YamlScalarNode one => [one],
                    _ => throw Error(Line(fenceNode), "'fence' must be a list of PCI addresses."),
                };
                foreach (var f in items) fence.Add(Address(f, "fence"));
            }
            return new DeclaredDevice
            {
                Address = address,
                Driver = driver,
                Fence = [.. fence.Distinct()],
                Force = Optional(map, "force") is { } force && Bool(force, "force"),
                Identity = Optional(map, "identity") is { } id ? Identity(id, vf: true) : null,
                Line = Line(node),
            };
        }

        public DeclaredPf Pf(YamlNode node)
        {
            var map = Map(node, "an sriov entry");
            OnlyKeys(map, PfKeys, "an sriov entry");
            var pf = Address(Required(map, "pf", "an sriov entry"), "pf");
            var vfsNode = Required(map, "vfs", "an sriov entry");
            int vfs = Int(vfsNode, "vfs");
            if (vfs < 1) throw Error(Line(vfsNode), $"'vfs: {vfs}': declare 1 or more VFs (a PF without VFs needs no entry).");
            bool? autoprobe = Optional(map, "autoprobe") is { } ap ? Bool(ap, "autoprobe") : null;
            bool pfToVfio = Optional(map, "pf-driver") is { } pd && Scalar(pd, "pf-driver") switch
            {
                "vfio-pci" => true,
                "host" => false,
                var other => throw Error(Line(pd), $"'pf-driver: {other}' must be host (its own driver) or vfio-pci."),
            };
            var vfDriver = Optional(map, "vf-driver") is { } vd ? Scalar(vd, "vf-driver") switch
            {
                "auto" => VfBinding.Auto,
                "vfio-pci" => VfBinding.VfioPci,
                "none" => VfBinding.None,
                var other => throw Error(Line(vd), $"'vf-driver: {other}' must be auto, vfio-pci or none."),
            } : VfBinding.Auto;
            var token = Optional(map, "vf-token") is { } vt ? Scalar(vt, "vf-token") switch
            {
                "stored" => DeclaredToken.Stored,
                "none" => DeclaredToken.None,
                var other => throw Error(Line(vt), $"'vf-token: {other}' must be stored (set the token kept in the state directory again) or none."),
            } : DeclaredToken.Stored;
            return new DeclaredPf
            {
                Pf = pf,
                NumVfs = vfs,
                Autoprobe = autoprobe,
                PfToVfioPci = pfToVfio,
                VfDriver = vfDriver,
                VfToken = token,
                Force = Optional(map, "force") is { } force && Bool(force, "force"),
                Identity = Optional(map, "identity") is { } id ? Identity(id, vf: false) : null,
                Line = Line(node),
            };
        }

        private DeviceIdentity Identity(YamlNode node, bool vf)
        {
            var map = Map(node, "identity");
            OnlyKeys(map, vf ? IdentityKeys : [.. IdentityKeys.Where(k => k is not ("pf" or "vf-index"))], "identity");
            var id = Ids(map, "identity");
            if (Optional(map, "pf") is { } pfNode)
            {
                var pfMap = Map(pfNode, "identity's pf");
                OnlyKeys(pfMap, PfIdentityKeys, "identity's pf");
                var indexNode = Required(map, "vf-index", "the identity of a VF");
                id = id with
                {
                    Pf = Ids(pfMap, "identity's pf"),
                    PfAddress = Optional(pfMap, "address") is { } a ? Address(a, "address") : null,
                    VfIndex = Int(indexNode, "vf-index"),
                };
            }
            else if (Optional(map, "vf-index") is { } stray)
                throw Error(Line(stray), "'vf-index' belongs to a VF's identity, which also names its 'pf'.");
            return id;
        }

        private DeviceIdentity Ids(YamlMappingNode map, string what)
        {
            var sv = Optional(map, "subsystem-vendor");
            var sd = Optional(map, "subsystem-device");
            string? serial = null;
            if (Optional(map, "serial") is { } serialNode)
            {
                serial = Scalar(serialNode, "serial").ToLowerInvariant();
                if (serial.Length != 23 || !serial.Split('-').All(b => b.Length == 2 && b.All(char.IsAsciiHexDigit)))
                    throw Error(Line(serialNode), $"'serial: {serial}' is not a Device Serial Number (8 hex bytes joined by '-', e.g. 00-1b-21-ff-ff-12-34-56).");
            }
            return new DeviceIdentity
            {
                VendorId = Hex16(Required(map, "vendor", what), "vendor"),
                DeviceId = Hex16(Required(map, "device", what), "device"),
                SubsystemVendorId = sv is null ? null : Hex16(sv, "subsystem-vendor"),
                SubsystemDeviceId = sd is null ? null : Hex16(sd, "subsystem-device"),
                Serial = serial,
            };
        }
    }
}
