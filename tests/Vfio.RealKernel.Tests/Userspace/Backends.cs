using Vfio.Userspace;

namespace Vfio.RealKernel.Tests.Userspace;

/// <summary>
/// The library backends a guest's kernel offers, as theory data: the container everywhere, and
/// iommufd on the lab's 7.3 kernel (Debian's 6.12 and 6.1 are built without CONFIG_IOMMUFD). The
/// library's real-kernel tests take the backend as a parameter, so each runs once per backend.
/// </summary>
internal static class Backends
{
    /// <summary>Kernels built with iommufd and the VFIO device cdev.</summary>
    public static bool KernelHasIommufd => Guest.Kernel == "7.3";

    public static TheoryData<VfioBackend> ForThisKernel =>
        KernelHasIommufd ? new TheoryData<VfioBackend>(VfioBackend.Container, VfioBackend.Iommufd) : new TheoryData<VfioBackend>(VfioBackend.Container);

    public static VfioSessionOptions Options(VfioBackend backend, VfioDeviceOptions? device = null) => new() { Backend = backend, Device = device };

    /// <summary>Opens a session with the backend and checks it is the one used.</summary>
    public static VfioSession Open(PciAddress address, VfioBackend backend, VfioDeviceOptions? device = null)
    {
        var session = VfioSession.Open(address, Options(backend, device));
        Assert.Equal(backend, session.Backend);
        return session;
    }
}
