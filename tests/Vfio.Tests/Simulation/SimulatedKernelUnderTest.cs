using Vfio.Contracts;
using Vfio.Execution.Kernel;
using Vfio.Execution.Sriov;
using Vfio.Host.Snapshot;
using Vfio.Tests.Support;

namespace Vfio.Tests.Simulation;

/// <summary>
/// A <see cref="SimulatedKernel"/> over a fresh unpack of a lab capture (lab-basic-6.12 unless
/// told otherwise), for the contract tests. Disposing releases every hold and deletes the tree.
/// </summary>
public sealed class SimulatedKernelUnderTest : IKernelUnderTest
{
    private readonly SnapshotArchive _tree;
    private readonly SimulatedKernel _kernel;

    public SimulatedKernelUnderTest(string fixture = "lab-basic-6.12")
    {
        _tree = Fixtures.Open(fixture);
        try
        {
            _kernel = new SimulatedKernel(_tree.Directory);
            Directory.CreateDirectory(_kernel.Files.Map(StateDirectory));
        }
        catch
        {
            _tree.Dispose();
            throw;
        }
    }

    public IKernel Kernel => _kernel;

    /// <summary>The same kernel, with its simulation-only surface.</summary>
    public SimulatedKernel Simulated => _kernel;

    /// <summary>An empty directory under the tree, as vfioctl would use on a host.</summary>
    public string StateDirectory => "/var/lib/vfioctl";

    public IDisposable HoldGroupOpen(int group, string? options = null) => _kernel.HoldGroupOpen(group, options);

    public IVfTokenApplier TokenApplier => new SimulatedVfTokenApplier(_kernel);

    public void Dispose()
    {
        _kernel.Dispose();
        _tree.Dispose();
    }
}
