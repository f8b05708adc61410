namespace Vfio.RealKernel.Tests.Userspace;

/// <summary>
/// Devices moved to a driver for one test (driver_override, unbind, drivers_probe) and returned to
/// their kernel driver on dispose, in reverse order, so every test starts from the boot state.
/// </summary>
internal sealed class VfioBinding : IDisposable
{
    private readonly List<PciAddress> _moved = [];

    public static VfioBinding Bind(params (PciAddress Address, string Driver)[] devices)
    {
        Guest.Sh("modprobe vfio-pci && modprobe pci-stub");
        var binding = new VfioBinding();
        try
        {
            foreach (var (address, driver) in devices)
            {
                binding._moved.Add(address);
                Guest.BindWithOverride(address, driver);
                Assert.Equal(driver, Guest.DriverOf(address));
            }
        }
        catch
        {
            binding.Dispose();
            throw;
        }
        return binding;
    }

    public static VfioBinding ToVfio(params PciAddress[] devices) => Bind([.. devices.Select(d => (d, "vfio-pci"))]);

    public void Dispose()
    {
        for (int i = _moved.Count - 1; i >= 0; i--) Guest.ReturnToKernel(_moved[i]);
        _moved.Clear();
    }
}
