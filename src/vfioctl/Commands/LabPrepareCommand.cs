using System.CommandLine;
using Vfio.Lab;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl lab prepare</c>: install host packages, download and cache kernels, build initramfs images; no boot.</summary>
internal static class LabPrepareCommand
{
    public static Command Create()
    {
        var kernel = new Option<string>("--kernel")
        {
            Description = "Kernel series to prepare: 6.12, 6.1 or all",
            DefaultValueFactory = _ => "all",
            HelpName = "6.12|6.1|all",
        };
        kernel.AcceptOnlyFromAmong([.. KernelSeries.All.Select(k => k.Name), "all"]);

        var command = new Command("prepare",
            "Install the lab's Debian packages (as root), download the newest kernel of each series into the cache and build its initramfs")
        {
            kernel,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var name = parse.GetValue(kernel)!;
            var series = name == "all" ? KernelSeries.All : [KernelSeries.Find(name)!];
            return LabRunGuard.WithCancellation(error, token =>
            {
                var cache = LabCache.FromEnvironment();
                var prepared = new LabRunner(cache, error).Prepare(series, token);
                foreach (var (k, initramfs) in prepared)
                {
                    output.WriteLine($"{k.Series.Name}: {k.Release} ({k.Package})");
                    output.WriteLine($"  kernel    {k.Vmlinuz}");
                    output.WriteLine($"  modules   {k.ModulesDirectory}");
                    output.WriteLine($"  initramfs {initramfs}");
                }
                return ExitCodes.Success;
            });
        });
        return command;
    }
}
