using System.CommandLine;
using Vfio.Host.Reading;
using Vfio.Policy.Assignment;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl plan ADDRESS...</c>: what bind would do, changing nothing.</summary>
internal static class PlanCommand
{
    internal static readonly Option<string> Driver = new("--driver")
    {
        Description = "auto (the best vfio-pci variant from modules.alias), vfio-pci, pci-stub, or a driver name",
        DefaultValueFactory = _ => "auto",
    };
    internal static readonly Option<string[]> Fence = new("--fence")
    {
        Description = "Group members to bind to pci-stub instead (the group stays viable; they cannot be opened)",
        AllowMultipleArgumentsPerToken = true,
    };
    internal static readonly Option<bool> Force = new("--force") { Description = "Override the safety checks (boot VGA, devices in use, bridges)" };

    private static readonly Argument<string[]> Targets = AssignmentSupport.Addresses("Devices to hand to userspace (their whole groups go)");

    public static Command Create()
    {
        var cmd = new Command("plan", "Show what 'vfioctl bind' would do to the devices' groups, changing nothing");
        cmd.Arguments.Add(Targets);
        cmd.Options.Add(Driver);
        cmd.Options.Add(Fence);
        cmd.Options.Add(Force);
        cmd.SetAction(parse => CommandSupport.WithHost(parse, (term, view, json) =>
        {
            var request = Request(parse, parse.GetValue(Targets) ?? []);
            var plan = AssignmentSupport.MakePlan(view, term, request);
            AssignmentSupport.WritePlan(term, view, plan, json);
            return plan.CanApply ? ExitCodes.Success : ExitCodes.Refused;
        }, new HostReadOptions { GroupUsers = true, Details = false }));
        return cmd;
    }

    internal static AssignmentRequest Request(ParseResult parse, string[] targets)
    {
        if (targets.Length == 0) throw new UsageException("name at least one device (PCI address).");
        var driver = DriverRequest.Parse(parse.GetValue(Driver))
            ?? throw new UsageException($"--driver '{parse.GetValue(Driver)}': expected auto, vfio-pci, pci-stub or a driver name.");
        return new AssignmentRequest
        {
            Targets = [.. AssignmentSupport.ParseAddresses(targets, "device")],
            Driver = driver,
            Fence = [.. AssignmentSupport.ParseAddresses(parse.GetValue(Fence) ?? [], "--fence")],
            Force = parse.GetValue(Force),
        };
    }
}
