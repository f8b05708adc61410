using Vfio.Contracts.Assignment;
using Vfio.Execution.Assignment;
using Vfio.Execution.Kernel;
using Vfio.Execution.Operations;
using Vfio.Execution.Sriov;
using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Policy.Sriov;

namespace Vfio.Contracts.Sriov;

/// <summary>What `vfioctl sriov enable|disable` does, as library calls: lock, read, plan, apply.</summary>
public static class SriovFlow
{
    /// <summary>The sriov topology's PFs (docs/lab.md): NVMe on nvme, 64 VFs each, offset 1, stride 1, none at boot.</summary>
    public const string Pf = "0000:01:00.0", OtherPf = "0000:02:00.0";

    public static ExecutionOptions Options(string stateDir, TimeSpan? sriovTimeout = null) => new()
    {
        StateDirectory = stateDir,
        WriteTimeout = TimeSpan.FromSeconds(10),
        SriovTimeout = sriovTimeout ?? TimeSpan.FromSeconds(60),
    };

    public static SriovExecutor Executor(IKernelUnderTest k, IVfTokenApplier? applier = null, TimeSpan? sriovTimeout = null) =>
        new(k.Kernel, Options(k.StateDirectory, sriovTimeout)) { TokenApplier = applier };

    public static SriovFacts Facts(IKernel kernel, HostState host, string pf) =>
        host.FindDevice(PciAddress.Parse(pf)) is { } d ? SriovFactsReader.Read(kernel.Files, d) : SriovFacts.None;

    public static SriovPlan PlanEnable(IKernel kernel, SriovRequest request)
    {
        var host = AssignmentFlow.Read(kernel);
        return SriovPlanner.PlanEnable(host, AssignmentFlow.Aliases(kernel.Files, host), Facts(kernel, host, request.Pf.ToString()), request);
    }

    public static SriovPlan PlanDisable(IKernel kernel, string pf, bool force = false)
    {
        var host = AssignmentFlow.Read(kernel);
        return SriovPlanner.PlanDisable(host, Facts(kernel, host, pf), PciAddress.Parse(pf), force);
    }

    public static SriovRequest Request(int vfs, VfBinding bind = VfBinding.Auto, bool pfToVfioPci = false, bool? autoprobe = null, string pf = Pf) => new()
    {
        Pf = PciAddress.Parse(pf), NumVfs = vfs, Bind = bind, PfToVfioPci = pfToVfioPci, Autoprobe = autoprobe,
    };

    public static OperationServices Services(IKernelUnderTest k, IVfTokenApplier? applier = null, TimeSpan? sriovTimeout = null) =>
        new() { Kernel = k.Kernel, Options = Options(k.StateDirectory, sriovTimeout), TokenApplier = applier };

    /// <summary>Lock, read, plan and apply: the enable operation, as `vfioctl sriov enable` runs it.</summary>
    public static (SriovPlan Plan, SriovResult? Result) Enable(IKernelUnderTest k, SriovRequest request, IVfTokenApplier? applier = null)
    {
        var run = SriovEnableOperation.Run(request, Services(k, applier));
        return (run.Plan, run.Outcome);
    }

    /// <summary>Lock, read, plan and apply: the disable operation, as `vfioctl sriov disable` runs it.</summary>
    public static (SriovPlan Plan, SriovResult? Result) Disable(IKernelUnderTest k, string pf = Pf, TimeSpan? sriovTimeout = null)
    {
        var run = SriovDisableOperation.Run(PciAddress.Parse(pf), false, Services(k, sriovTimeout: sriovTimeout));
        return (run.Plan, run.Outcome);
    }

    public static ExecutionResult Restore(IKernelUnderTest k) => AssignmentFlow.Restorer(k.Kernel, k.StateDirectory).Restore(null);

    public static PciDevice Device(IKernel kernel, string address) => AssignmentFlow.Read(kernel).FindDevice(PciAddress.Parse(address))!;

    public static string Reasons(SriovPlan plan) => string.Join("; ", plan.Refusals.Select(r => r.Reason).Concat(plan.PfAssignment?.Refusals.Select(r => r.Reason) ?? []));
}
