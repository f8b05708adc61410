using System.Text;

namespace Vfio.Userspace;

/// <summary>
/// Options given to the kernel when a device is opened (after its name in VFIO_GROUP_GET_DEVICE_FD;
/// kernel-facts section 4). vfio-pci is strict: it rejects options it does not use with EINVAL.
/// </summary>
public sealed record VfioDeviceOptions
{
    /// <summary>
    /// The VF token: needed to open a VF of a PF that a userspace driver owns (and, given when opening
    /// such a PF with no open VFs, sets its token).
    /// </summary>
    public Guid? VfToken { get; init; }

    /// <summary>The string VFIO_GROUP_GET_DEVICE_FD takes: <c>"NAME"</c>, or <c>"NAME vf_token=UUID"</c>.</summary>
    public string ToDeviceString(string deviceName)
    {
        var sb = new StringBuilder(deviceName);
        if (VfToken is { } token) sb.Append(" vf_token=").Append(VfTokenFormat.ToKernelString(token));
        return sb.ToString();
    }
}
