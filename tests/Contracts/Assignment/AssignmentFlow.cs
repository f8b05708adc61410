using Vfio.Execution.Assignment;
using Vfio.Execution.Kernel;
using Vfio.Execution.Operations;
using Vfio.Execution.State;
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

    public static ExecutionOptions Options(string stateDir) => new() { StateDirectory = stateDir, WriteTimeout = TimeSpan.FromSeconds(5) };

    /// <summary>The state directory (lock, journal, tokens) of a test.</summary>
    public static StateDirectory State(IKernel kernel, string stateDir) => StateDirectory.Of(kernel, Options(stateDir));

    public static AssignmentApplier Applier(IKernel kernel, string stateDir) => new(kernel, Options(stateDir));

    public static Restorer Restorer(IKernel kernel, string stateDir) => new(kernel, Options(stateDir));

    public static Unbinder Unbinder(IKernel kernel, string stateDir) => new(kernel, Options(stateDir));

    /// <summary>Lock, read, plan and apply: the bind operation, as the bind command runs it.</summary>
    public static (AssignmentPlan Plan, ExecutionResult? Result) Bind(IKernel kernel, string stateDir, AssignmentRequest request)
    {
        var run = BindOperation.Run(request, new OperationServices { Kernel = kernel, Options = Options(stateDir) });
        return (run.Plan, run.Outcome);
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
