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
            Description = "Kernel series to prepare: one series, 'debian' (Debian's own kernels, the default) or 'all' " +
                          "(also the kernels the lab builds from source, such as 7.3: about 15 minutes on 2 cores the first time)",
            DefaultValueFactory = _ => "debian",
            HelpName = string.Join('|', KernelSeries.All.Select(k => k.Name)) + "|debian|all",
        };
        kernel.AcceptOnlyFromAmong([.. KernelSeries.All.Select(k => k.Name), "debian", "all"]);

        var command = new Command("prepare",
            "Install the lab's Debian packages (as root), download the newest kernel of each series (or build it from source) into the cache and build its initramfs")
        {
            kernel,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var name = parse.GetValue(kernel)!;
            var series = name switch
            {
                "all" => KernelSeries.All,
                "debian" => KernelSeries.All.Where(k => k.Recipe is null).ToList(),
                _ => [KernelSeries.Find(name)!],
            };
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
