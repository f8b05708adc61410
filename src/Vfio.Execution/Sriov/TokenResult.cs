namespace Vfio.Execution.Sriov;

/// <summary>
/// What became of a VF token: whether it is stored, whether the kernel has it (null: the PF is not
/// on a vfio driver, so there is nothing to set yet), and a sentence for people (never the token).
/// </summary>
public sealed record TokenResult(bool Stored, bool? Applied, string Message);
