using Vfio.Execution.Assignment;
using Vfio.Execution.Kernel;
using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Host.Sysfs;
using Vfio.Policy.Assignment;
using Vfio.Policy.Drivers;

namespace Vfio.Contracts.Assignment;

/// <summary>What `vfioctl bind` does, as library calls: lock, read, plan, apply.</summary>
public static class AssignmentFlow
{
    public static HostState Read(IKernel kernel) =>
        HostReader.Read(kernel.Files, new HostReadOptions { GroupUsers = true });

    public static ModuleAliases Aliases(HostFiles files, HostState host)
    {
        using var r = files.OpenText($"/lib/modules/{host.KernelRelease}/modules.alias");
        return r is null ? ModuleAliases.Empty : ModuleAliases.Parse(r);
    }

    public static AssignmentPlan Plan(IKernel kernel, params string[] targets) =>
        Plan(kernel, new AssignmentRequest { Targets = [.. targets.Select(PciAddress.Parse)] });

    public static AssignmentPlan Plan(IKernel kernel, AssignmentRequest request)
    {
        var host = Read(kernel);
        return AssignmentPlanner.Plan(host, Aliases(kernel.Files, host), request);
    }

    public static Assigner Assigner(IKernel kernel, string stateDir) =>
        new(kernel, new ExecutionOptions { StateDirectory = stateDir, WriteTimeout = TimeSpan.FromSeconds(5) });

    /// <summary>Lock, read, plan and apply, as the bind command does.</summary>
    public static (AssignmentPlan Plan, ExecutionResult? Result) Bind(IKernel kernel, string stateDir, AssignmentRequest request)
    {
        var assigner = Assigner(kernel, stateDir);
        using var held = assigner.Lock();
        var plan = Plan(kernel, request);
        return (plan, plan.CanApply ? assigner.Apply(plan) : null);
    }

    public static string? DriverOf(IKernel kernel, string address) =>
        Read(kernel).FindDevice(PciAddress.Parse(address))?.Driver;
}

/// <summary>
/// Stands for a vfioctl process killed with SIGKILL: after a given number of kernel writes the
/// next one never happens and control never returns to the executor (no rollback, no journal update).
/// </summary>
public sealed class CrashingKernel(IKernel inner, int writesBeforeCrash) : IKernel
{
    private int _writes;

    public Vfio.Host.Sysfs.HostFiles Files => inner.Files;

    public void Write(string hostPath, string value, TimeSpan timeout)
    {
        if (_writes++ >= writesBeforeCrash) throw new ProcessKilledException();
        inner.Write(hostPath, value, timeout);
    }

    public void LoadModule(string module, IReadOnlyList<string> parameters) => inner.LoadModule(module, parameters);
}

public sealed class ProcessKilledException : Exception;
