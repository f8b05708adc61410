using Vfio.Execution.Sriov;

namespace Vfio.Tests.Simulation;

/// <summary>The simulated kernel's side of setting a VF token through VFIO (see <see cref="SimulatedKernel.ApplyVfToken"/>).</summary>
public sealed class SimulatedVfTokenApplier(SimulatedKernel kernel) : IVfTokenApplier
{
    public string Apply(PciAddress pf, VfToken token, VfToken? current)
    {
        kernel.ApplyVfToken(pf, token, current);
        return "through the simulated kernel";
    }
}
