using System.CommandLine;
using Vfio;
using Vfio.Execution.Assignment;
using Vfio.Policy.Assignment;

namespace Vfioctl.Commands.Options;

/// <summary>The options and arguments of plan, bind, restore and unbind, and their parsing.</summary>
internal static class AssignmentOptions
{
    public static readonly Option<string> StateDir = new("--state-dir")
    {
        Description = "Where the journal of original drivers and the lock live (under --root)",
        DefaultValueFactory = _ => "/var/lib/vfioctl",
    };

    public static readonly Option<string> Driver = new("--driver")
    {
        Description = "auto (the best vfio-pci variant from modules.alias), vfio-pci, pci-stub, or a driver name",
        DefaultValueFactory = _ => "auto",
    };

    public static readonly Option<string[]> Fence = new("--fence")
    {
        Description = "Group members to bind to pci-stub instead (the group stays viable; they cannot be opened)",
        AllowMultipleArgumentsPerToken = true,
    };

    public static readonly Option<bool> Force = new("--force") { Description = "Override the safety checks (boot VGA, devices in use, bridges)" };

    public static readonly Option<bool> NoIommu = new("--noiommu")
    {
        Description = "On a host without an IOMMU: turn on vfio's unsafe no-IOMMU mode and bind each device to vfio-pci alone, with no DMA isolation (for DPDK-style drivers; never for a VM)",
    };

    public static readonly Option<bool> DryRun = new("--dry-run") { Description = "Print the plan and change nothing (same as 'vfioctl plan')" };

    public static Argument<string[]> Addresses(string description) => new("address")
    {
        Arity = ArgumentArity.ZeroOrMore,
        Description = description,
    };

    public static List<PciAddress> ParseAddresses(IEnumerable<string> texts, string what)
    {
        var list = new List<PciAddress>();
        foreach (var t in texts)
        {
            if (!PciAddress.TryParse(t, out var a))
                throw new UsageException($"{what} '{t}' is not a PCI address; expected {PciAddress.ExpectedForm}.");
            if (!list.Contains(a)) list.Add(a);
        }
        return list;
    }

    /// <summary>The named devices: at least one.</summary>
    public static List<PciAddress> RequiredTargets(ParseResult parse, Argument<string[]> targets)
    {
        var list = ParseAddresses(parse.GetValue(targets) ?? [], "device");
        if (list.Count == 0) throw new UsageException("name at least one device (PCI address).");
        return list;
    }

    /// <summary>What plan and bind are asked: the targets, --driver, --fence and --force.</summary>
    public static AssignmentRequest Request(ParseResult parse, Argument<string[]> targets)
    {
        var list = RequiredTargets(parse, targets);
        var driver = DriverRequest.Parse(parse.GetValue(Driver))
            ?? throw new UsageException($"--driver '{parse.GetValue(Driver)}': expected auto, vfio-pci, pci-stub or a driver name.");
        return new AssignmentRequest
        {
            Targets = [.. list],
            Driver = driver,
            Fence = [.. ParseAddresses(parse.GetValue(Fence) ?? [], "--fence")],
            Force = parse.GetValue(Force),
            NoIommu = parse.GetResult(NoIommu) is not null && parse.GetValue(NoIommu),
        };
    }

    /// <summary>Where execution keeps its state: --state-dir.</summary>
    public static ExecutionOptions Execution(ParseResult parse) => new() { StateDirectory = parse.GetValue(StateDir)! };
}
