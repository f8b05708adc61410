using System.CommandLine;
using Vfio;
using Vfio.Execution.Assignment;

namespace Vfioctl.Commands.Options;

/// <summary>The options and arguments the <c>sriov</c> commands share, and their parsing.</summary>
internal static class SriovOptions
{
    public static readonly Option<int> Timeout = new("--timeout")
    {
        Description = "Seconds a write to sriov_numvfs may take before vfioctl reports and stops (a VF held open makes the kernel wait)",
        DefaultValueFactory = _ => 60,
    };

    public static readonly Option<bool> DryRun = new("--dry-run") { Description = "Print the plan and change nothing" };

    public static readonly Option<bool> Force = new("--force") { Description = "Override the refusals that may be overridden (VFs in use by the host, a VF that only appears open)" };

    /// <summary>The options every SR-IOV command that changes the host takes: --dry-run, --force, --timeout, --state-dir.</summary>
    public static Option[] Apply => [DryRun, Force, Timeout, AssignmentOptions.StateDir];

    public static Argument<string> Pf() => new("pf") { Description = "The physical function (PCI address)" };

    public static PciAddress ParsePf(string? text) =>
        PciAddress.TryParse(text, out var a) ? a : throw new UsageException($"PF '{text}' is not a PCI address; expected {PciAddress.ExpectedForm}.");

    public static TimeSpan ParseTimeout(ParseResult parse)
    {
        int seconds = parse.GetValue(Timeout);
        if (seconds < 1) throw new UsageException($"--timeout {seconds}: give a number of seconds, 1 or more.");
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>--state-dir, and --timeout for the commands that write sriov_numvfs.</summary>
    public static ExecutionOptions Execution(ParseResult parse, bool withTimeout = true) =>
        AssignmentOptions.Execution(parse) with { SriovTimeout = withTimeout ? ParseTimeout(parse) : TimeSpan.FromSeconds(60) };
}
