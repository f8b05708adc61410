using System.CommandLine;
using Vfio.Lab;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl lab run</c>: boot a guest with a topology and run one command in it; exits with the command's status.</summary>
internal static class LabRunCommand
{
    public static Command Create()
    {
        var topology = new Option<string>("--topology", "-t")
        {
            Description = "The guest's devices (see 'vfioctl lab topologies')",
            DefaultValueFactory = _ => Topologies.Default.Name,
            HelpName = string.Join('|', Topologies.All.Select(t => t.Name)),
        };
        topology.AcceptOnlyFromAmong([.. Topologies.All.Select(t => t.Name)]);

        var kernel = new Option<string>("--kernel", "-k")
        {
            Description = "Kernel series to boot",
            DefaultValueFactory = _ => KernelSeries.Default.Name,
            HelpName = string.Join('|', KernelSeries.All.Select(k => k.Name)),
        };
        kernel.AcceptOnlyFromAmong([.. KernelSeries.All.Select(k => k.Name)]);

        var timeout = new Option<int>("--timeout")
        {
            Description = "Hard limit in seconds for the whole run, boot included; QEMU is killed after it",
            DefaultValueFactory = _ => 900,
            HelpName = "SECONDS",
        };
        timeout.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() <= 0) r.AddError("--timeout must be a positive number of seconds");
        });

        var bootTimeout = new Option<int>("--boot-timeout")
        {
            Description = "Limit in seconds for the guest to boot and reach the command",
            DefaultValueFactory = _ => 120,
            HelpName = "SECONDS",
        };
        bootTimeout.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() <= 0) r.AddError("--boot-timeout must be a positive number of seconds");
        });

        var memory = new Option<int>("--memory")
        {
            Description = "Guest memory in MiB",
            DefaultValueFactory = _ => 2048,
            HelpName = "MB",
        };
        memory.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 512) r.AddError("--memory must be at least 512 (MiB)");
        });

        var cpu = new Option<string>("--cpu")
        {
            Description = "QEMU CPU model for the guest (default: QEMU's qemu64; 'max' has SSE4.2 and AVX2 like any host with an IOMMU)",
            HelpName = "MODEL",
        };
        cpu.Validators.Add(r =>
        {
            var v = r.GetValueOrDefault<string>();
            if (v is not null && (v.Length == 0 || !v.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
                r.AddError($"--cpu '{v}' is not a QEMU CPU model name (letters, digits, '-', '_', '.'; see qemu-system-x86_64 -cpu help)");
        });

        var keepGoing = new Option<bool>("--keep-going")
        {
            Description = "After the command, open a shell in the guest on this terminal instead of powering off " +
                          "(needs a terminal; exit the shell to power off; the exit status is still the command's)",
        };

        var udev = new Option<bool>("--udev")
        {
            Description = "Coldplug the guest with Debian's systemd-udevd (udevadm trigger, settle) instead of the lab's modalias loop; " +
                          "udevd keeps running and the guest's /etc/udev/rules.d apply",
        };

        var noIommu = new Option<bool>("--no-iommu")
        {
            Description = "Boot the guest without the emulated Intel IOMMU: a VM with no IOMMU, as most cloud VMs are (no groups; what vfioctl says there)",
        };

        var firmware = new Option<string>("--firmware")
        {
            Description = "The guest's firmware: bios (SeaBIOS, the default) or uefi (OVMF from Debian's ovmf package, downloaded into the lab cache): " +
                          "a UEFI guest's kernel sees the firmware framebuffer on the boot VGA",
            DefaultValueFactory = _ => "bios",
            HelpName = "bios|uefi",
        };
        firmware.AcceptOnlyFromAmong("bios", "uefi");

        var append = new Option<string>("--append")
        {
            Description = "Extra words for the guest kernel's command line, after the lab's own (e.g. modprobe.blacklist=bochs: the lab's coldplug honours it)",
            HelpName = "ARGS",
        };

        var state = new Option<string>("--state")
        {
            Description = "Keep the guest's writes in DIR from one run to the next: DIR/root.ext4 (created when absent, 1 GiB sparse) " +
                          "holds the root overlay's upper layer, and the topology's disk images live in DIR and are reused",
            HelpName = "DIR",
        };
        state.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string>() is { Length: 0 }) r.AddError("--state needs a directory");
        });

        var commandArgument = new Argument<string[]>("command")
        {
            Description = "The command to run in the guest, in the current directory (put it after --)",
            Arity = ArgumentArity.OneOrMore,
            CaptureRemainingTokens = true,
        };

        var command = new Command("run",
            "Boot a guest with a topology and run COMMAND in it, in this directory, on this machine's file system; " +
            "exits with COMMAND's status")
        {
            topology, kernel, timeout, bootTimeout, memory, cpu, keepGoing, udev, noIommu, firmware, append, state, commandArgument,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var options = new LabRunOptions(parse.GetValue(commandArgument) ?? [])
            {
                Topology = Topologies.Find(parse.GetValue(topology)!)!,
                Kernel = KernelSeries.Find(parse.GetValue(kernel)!)!,
                Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
                BootTimeout = TimeSpan.FromSeconds(parse.GetValue(bootTimeout)),
                MemoryMiB = parse.GetValue(memory),
                CpuModel = parse.GetValue(cpu),
                KeepGoing = parse.GetValue(keepGoing),
                Udev = parse.GetValue(udev),
                Iommu = !parse.GetValue(noIommu),
                Firmware = parse.GetValue(firmware) == "uefi" ? LabFirmware.Uefi : LabFirmware.Bios,
                KernelArguments = parse.GetValue(append),
                StateDirectory = parse.GetValue(state) is { } dir ? Path.GetFullPath(dir) : null,
                Interactive = !Console.IsInputRedirected && !Console.IsOutputRedirected,
            };
            return LabRunGuard.WithCancellation(error, token =>
                new LabRunner(LabCache.FromEnvironment(), error).Run(options, output, token).ExitCode);
        });
        return command;
    }
}
