namespace Vfio.Userspace;

/// <summary>
/// The VF token's two kernel forms (kernel-facts section 4): the 36-character UUID text in the open
/// options, and 16 bytes in RFC 4122 (big-endian field) order for VFIO_DEVICE_FEATURE.
/// <see cref="Guid"/>'s default byte layout is little-endian in its first three fields, so the
/// big-endian Guid APIs are used.
/// </summary>
public static class VfTokenFormat
{
    /// <summary>The lower-case 8-4-4-4-12 text the kernel's <c>uuid_parse</c> accepts.</summary>
    public static string ToKernelString(Guid token) => token.ToString("D");

    /// <summary>The 16 bytes in RFC 4122 order, as the PCI_VF_TOKEN feature takes them.</summary>
    public static byte[] ToKernelBytes(Guid token) => token.ToByteArray(bigEndian: true);

    /// <summary>A token from 16 RFC 4122-order bytes.</summary>
    public static Guid FromKernelBytes(ReadOnlySpan<byte> bytes) => new(bytes, bigEndian: true);
}
