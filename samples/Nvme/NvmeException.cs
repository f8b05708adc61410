namespace Vfio.Samples.Nvme;

/// <summary>The controller failed a command, did not answer in time, or reported a fatal status.</summary>
internal sealed class NvmeException(string message, NvmeStatus? status = null) : Exception(message)
{
    /// <summary>The completion status, when a command completed with an error.</summary>
    public NvmeStatus? Status { get; } = status;
}
