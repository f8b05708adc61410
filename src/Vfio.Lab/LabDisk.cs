namespace Vfio.Lab;

/// <summary>A disk image a topology needs; created per run in the run's temporary directory.</summary>
/// <param name="Id">QEMU drive id, also the image's file name.</param>
/// <param name="SizeMiB">Size in MiB.</param>
/// <param name="Format">How the image is prepared.</param>
public sealed record LabDisk(string Id, int SizeMiB, LabDiskFormat Format);
