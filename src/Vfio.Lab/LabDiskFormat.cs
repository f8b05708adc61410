namespace Vfio.Lab;

/// <summary>How a topology's disk image is prepared on the host.</summary>
public enum LabDiskFormat
{
    /// <summary>A sparse file of zeros.</summary>
    Raw,

    /// <summary>A sparse file formatted with <c>mkfs.ext4 -F</c>.</summary>
    Ext4,
}
