namespace Vfio.Lab;

/// <summary>How a topology's disk image is prepared on the host.</summary>
public enum LabDiskFormat
{
    /// <summary>A sparse file of zeros.</summary>
    Raw,

    /// <summary>A sparse file formatted with <c>mkfs.ext4 -F</c>.</summary>
    Ext4,
}

/// <summary>A disk image a topology needs; created per run in the run's temporary directory.</summary>
/// <param name="Id">QEMU drive id, also the image's file name.</param>
/// <param name="SizeMiB">Size in MiB.</param>
/// <param name="Format">How the image is prepared.</param>
public sealed record LabDisk(string Id, int SizeMiB, LabDiskFormat Format);
