using System.Globalization;
using Vfio.Samples;
using Vfio.Samples.Nvme;
using Vfio.Userspace;

// A userspace NVMe driver. It expects the controller already bound to vfio-pci (`vfioctl bind
// ADDR`) and binds nothing itself. Exit: 0 every check passed, 1 a check or the device failed,
// 2 usage.
if (!SampleCommandLine.TryParse(args, out var address, out var options))
{
    Console.Error.WriteLine($"usage: Nvme {SampleCommandLine.Usage}   (the NVMe controller's PCI address, e.g. 0000:01:00.0, bound to vfio-pci)");
    return 2;
}

var inv = CultureInfo.InvariantCulture;
VfioSession session;
try
{
    session = VfioSession.Open(address, options);
}
catch (VfioException e)
{
    Console.Error.WriteLine($"nvme {address}: cannot open the device through VFIO: {e.Message}");
    return 1;
}

using (session)
{
    NvmeChecks? checks = null;
    try
    {
        Console.WriteLine($"nvme {address}: {SampleCommandLine.Describe(session)}; {session.Device.Info.RegionCount} regions, {session.Device.Info.IrqCount} IRQ indexes");
        using var bar0 = session.Device.MapBar(0);
        checks = new NvmeChecks(session, bar0, Console.Out);
        checks.PciFunction();
        checks.ResetAndEnable();
        await checks.IdentifyAsync();
        await checks.CreateIoQueuesAsync();
        var (runId, first, blocks) = await checks.WriteAndReadBackAsync();
        await checks.ShutdownAsync();
        // One line with everything a reader of the disk needs to find and check the pattern.
        Console.WriteLine(string.Create(inv,
            $"pattern: run-id {runId:x16} nsid {checks.Namespace!.NamespaceId} lba {first} count {blocks} block-size {checks.Namespace.BlockSize}"));
    }
    catch (Exception e) when (e is NvmeException or VfioException)
    {
        Console.WriteLine($"FAIL nvme {address}: {e.Message}");
        checks?.Abandon();
        Console.WriteLine($"nvme {address}: stopped after {checks?.Passed ?? 0} passed and {(checks?.Failed ?? 0) + 1} failed check(s)");
        return 1;
    }
    Console.WriteLine(checks.Failed == 0
        ? $"nvme {address}: all {checks.Passed} checks passed"
        : $"nvme {address}: {checks.Failed} of {checks.Passed + checks.Failed} checks FAILED");
    return checks.Failed == 0 ? 0 : 1;
}
