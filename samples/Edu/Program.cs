using Vfio.Samples;
using Vfio.Samples.Edu;
using Vfio.Userspace;

// A userspace driver for QEMU's edu device. It expects the device already bound to vfio-pci
// (`vfioctl bind ADDR`) and binds nothing itself. Exit: 0 every check passed, 1 a check or the
// device failed, 2 usage.
if (!SampleCommandLine.TryParse(args, out var address, out var options))
{
    Console.Error.WriteLine($"usage: Edu {SampleCommandLine.Usage}   (the edu device's PCI address, e.g. 0000:00:02.0, bound to vfio-pci)");
    return 2;
}

try
{
    using var session = VfioSession.Open(address, options);
    Console.WriteLine($"edu {address}: {SampleCommandLine.Describe(session)}; {session.Device.Info.RegionCount} regions, {session.Device.Info.IrqCount} IRQ indexes");
    using var bar0 = session.Device.MapBar(0);
    var checks = new EduChecks(session, bar0, Console.Out);
    checks.Identify();
    checks.Liveness();
    // MSI messages are memory writes by the device: bus mastering must be on for them and for DMA.
    session.Device.Config.EnableBusMaster();
    var msi = session.Device.Interrupts.EnableMsi(1)[0];
    await checks.FactorialWithMsiAsync(msi);
    await checks.DmaRoundTripAsync(msi);
    await checks.UnmappedDmaBlockedAsync(msi);
    session.Device.Interrupts.Disable(VfioIrqIndex.Msi);
    Console.WriteLine(checks.Failed == 0
        ? $"edu {address}: all {checks.Passed} checks passed"
        : $"edu {address}: {checks.Failed} of {checks.Passed + checks.Failed} checks FAILED");
    return checks.Failed == 0 ? 0 : 1;
}
catch (VfioException e)
{
    Console.Error.WriteLine($"edu {address}: {e.Message}");
    return 1;
}
