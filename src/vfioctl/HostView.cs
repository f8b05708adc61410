using System.Collections.Immutable;
using Vfio;
using Vfio.Host.Model;
using Vfio.Host.Names;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Execution.Operations;
using Vfio.Policy.Viability;

namespace Vfioctl;

/// <summary>
/// What the commands show: the host model, names from pci.ids and the verdict of every group.
/// Opens <c>--root</c> as a directory or as a snapshot archive (unpacked until disposed), or
/// shows a host model an operation read.
/// </summary>
internal sealed class HostView : IDisposable
{
    private readonly HostTree? _tree;

    private readonly Lazy<PciIds> _names;

    private HostView(HostState host, HostTree? tree)
    {
        Host = host;
        // pci.ids (about 1.4 MB) is scanned only when a name is shown: --json output and the
        // assignment commands' machine paths never pay for it.
        _names = new Lazy<PciIds>(() => PciIds.Load(host.Devices
            .Where(d => d.VendorId is not null && d.DeviceId is not null)
            .Select(d => (d.VendorId!.Value, d.DeviceId!.Value))), LazyThreadSafetyMode.None);
        _tree = tree;
        _verdicts = new Lazy<ImmutableDictionary<int, GroupVerdict>>(() => ViabilityEvaluator.EvaluateAll(host), LazyThreadSafetyMode.None);
        _diagnosis = new Lazy<string?>(() => IommuDiagnosis.Explain(host), LazyThreadSafetyMode.None);
    }

    public HostState Host { get; }
    /// <summary>Names for the host's ids, loaded on first use.</summary>
    public PciIds Names => _names.Value;
    private readonly Lazy<ImmutableDictionary<int, GroupVerdict>> _verdicts;
    private readonly Lazy<string?> _diagnosis;

    /// <summary>The verdict of every group (computed on first use: the assignment commands plan instead).</summary>
    public ImmutableDictionary<int, GroupVerdict> Verdicts => _verdicts.Value;
    public string? Diagnosis => _diagnosis.Value;

    /// <summary>Opens the root; throws <see cref="UsageException"/> when it is neither a directory nor an archive.</summary>
    public static HostView Open(string root, HostReadOptions? options = null)
    {
        var tree = HostTree.Open(root);
        try
        {
            return new HostView(HostReader.Read(new HostFiles(tree.Directory), options), tree);
        }
        catch
        {
            tree.Dispose();
            throw;
        }
    }

    /// <summary>A view of a host model read elsewhere (by an operation); nothing to dispose.</summary>
    public static HostView Of(HostState host) => new(host, null);

    public GroupVerdict? VerdictOf(PciDevice d) =>
        d.IommuGroup is { } g && Verdicts.TryGetValue(g, out var v) ? v : null;

    /// <summary>"viable", "assigned", "blocked", or "no group" / "no IOMMU".</summary>
    public string VerdictText(PciDevice d) => VerdictOf(d) is { } v ? StatusText(v.Status)
        : Host.IommuEnabled ? "no group" : "no IOMMU";

    public static string StatusText(GroupStatus s) => s switch
    {
        GroupStatus.Assigned => "assigned",
        GroupStatus.Viable => "viable",
        _ => "blocked",
    };

    public string? VendorName(PciDevice d) => d.VendorId is { } v ? Names.VendorName(v) : null;
    public string? DeviceName(PciDevice d) => d.VendorId is { } v && d.DeviceId is { } id ? Names.DeviceName(v, id) : null;
    public string? ClassName(PciDevice d) => d.Class is { } c ? Names.ClassName(c) : null;

    /// <summary>lspci's style: "Intel Corporation 82574L Gigabit Network Connection [8086:10d3]".</summary>
    public string Describe(PciDevice d)
    {
        var vendor = VendorName(d);
        var device = DeviceName(d);
        var text = (vendor, device) switch
        {
            (null, _) => "Device",
            (_, null) => $"{vendor} Device",
            _ => $"{vendor} {device}",
        };
        return d.VendorDevice is { } vd ? $"{text} [{vd}]" : $"{text} [ids unreadable]";
    }

    /// <summary>"Ethernet controller [0200]".</summary>
    public string DescribeClass(PciDevice d) => d.Class is { } c
        ? $"{ClassName(d) ?? "Class"} [{c.Value >> 8:x4}]"
        : "class unreadable";

    public PciDevice RequireDevice(PciAddress address) =>
        Host.FindDevice(address) ?? throw NotFoundException.NoSuchDevice(Host, address);

    public void Dispose() => _tree?.Dispose();
}

/// <summary>Bad command-line input: exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
