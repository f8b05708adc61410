using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Vfio.Lab;

/// <summary>
/// Prepares the lab (host packages, kernels, initramfs) and runs commands in a
/// guest: boots the kernel under QEMU (TCG, q35, emulated Intel IOMMU) with the
/// topology's devices; the guest mounts this machine's root over virtio-9p
/// (read-only, with a tmpfs overlay), binds drivers, runs the command in the
/// same working directory and powers off. Progress goes to the log writer; the
/// command's output to the output writer.
/// </summary>
public sealed class LabRunner
{
    private static readonly string[] StandardPath = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    /// <summary>Host directories the guest replaces with its own file systems: a working directory there is invisible.</summary>
    private static readonly string[] HiddenInGuest = ["/run", "/proc", "/sys", "/dev"];

    private readonly LabCache _cache;
    private readonly TextWriter _log;
    private readonly Apt _apt;

    public LabRunner(LabCache cache, TextWriter log)
    {
        _cache = cache;
        _log = log;
        _apt = new Apt(log);
    }

    /// <summary>
    /// Installs missing host packages, downloads the newest kernel of each series
    /// (unless already cached) and builds its initramfs. Does not boot.
    /// </summary>
    public IReadOnlyList<(KernelImage Kernel, string Initramfs)> Prepare(IEnumerable<KernelSeries> series, CancellationToken cancellationToken = default)
    {
        HostDependencies.Ensure(_apt, _log);
        GuestPackages.Ensure(_cache, _apt, _log, cancellationToken);
        var store = new KernelStore(_cache, _apt, _log);
        var prepared = new List<(KernelImage, string)>();
        foreach (var s in series)
        {
            var kernel = store.Ensure(s, refresh: true, cancellationToken);
            var initramfs = Initramfs.Ensure(_cache, kernel, _log, cancellationToken);
            prepared.Add((kernel, initramfs));
        }
        return prepared;
    }

    /// <summary>
    /// Runs a command in a fresh guest and returns its exit status. Lab failures
    /// (missing tools, boot failure, timeout) throw <see cref="LabException"/>.
    /// Blocks the calling thread until QEMU is gone (QEMU dies with that thread).
    /// </summary>
    public LabRunResult Run(LabRunOptions options, TextWriter output, CancellationToken cancellationToken = default)
    {
        if (options.Command.Count == 0 || string.IsNullOrEmpty(options.Command[0]))
        {
            throw new LabException(LabErrorKind.InvalidRequest, "no command given", "usage: vfioctl lab run [OPTIONS] -- COMMAND [ARGS...]");
        }
        var cwd = Path.GetFullPath(options.WorkingDirectory);
        if (HiddenInGuest.FirstOrDefault(h => cwd == h || cwd.StartsWith(h + "/", StringComparison.Ordinal)) is { } hidden)
        {
            throw new LabException(LabErrorKind.InvalidRequest,
                $"the working directory {cwd} is {(cwd == hidden ? "" : "under ")}{hidden}, which the guest replaces with its own file system",
                "cd to a directory outside /run, /proc, /sys and /dev (e.g. the repository) and run again");
        }

        HostDependencies.Ensure(_apt, _log);
        var kernel = new KernelStore(_cache, _apt, _log).Ensure(options.Kernel, refresh: false, cancellationToken);
        var initramfs = Initramfs.Ensure(_cache, kernel, _log, cancellationToken);
        var qemu = HostDependencies.PathOf("qemu-system-x86_64");

        RemoveAbandonedRunDirectories();
        var runDir = Directory.CreateTempSubdirectory(RunDirectoryPrefix).FullName;
        try
        {
            File.WriteAllText(Path.Combine(runDir, OwnerFile), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var share = Path.Combine(runDir, "share");
            Directory.CreateDirectory(share);
            using var stateLock = options.StateDirectory is { } stateDirectory ? LockStateDirectory(stateDirectory) : null;
            string? stateDisk = options.StateDirectory is { } sd ? EnsureStateDisk(sd, cancellationToken) : null;
            var disks = CreateDisks(options.Topology, options.StateDirectory ?? runDir, cancellationToken);

            var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            var begin = $"@@vfioctl-lab:{nonce}:begin@@";
            var endPrefix = $"@@vfioctl-lab:{nonce}:end:";
            bool interactive = options.KeepGoing && options.Interactive;
            WriteShare(share, options, kernel, cwd, begin, endPrefix, interactive, _cache);

            (string Code, string Vars)? firmware = null;
            if (options.Firmware == LabFirmware.Uefi)
            {
                var ovmf = Ovmf.Ensure(_cache, _apt, _log, cancellationToken);
                // The variable store is written by the firmware: each run gets its own copy.
                var vars = Path.Combine(runDir, "OVMF_VARS.fd");
                File.Copy(ovmf.Vars, vars);
                firmware = (ovmf.Code, vars);
            }
            var arguments = MachineArguments(options, kernel, initramfs, share, id => disks[id], stateDisk, firmware);
            Stopwatch clock;
            GuestConsole console;
            QemuMachine machine;
            const int BootAttempts = 3;
            for (int attempt = 1; ; attempt++)
            {
                clock = Stopwatch.StartNew();
                console = new GuestConsole(begin, endPrefix, output, clock) { PassThroughAfterEnd = interactive };
                _log.WriteLine($"lab: booting {kernel.Release} with topology {options.Topology.Name} " +
                               $"(timeout {options.Timeout.TotalSeconds:0} s, boot timeout {options.BootTimeout.TotalSeconds:0} s" +
                               (options.Udev ? ", udev" : "") +
                               (options.Firmware == LabFirmware.Uefi ? ", UEFI (OVMF)" : "") +
                               (options.StateDirectory is { } shown ? $", state {Path.GetFullPath(shown)}" : "") + ")");
                if (options.KeepGoing && !interactive)
                {
                    _log.WriteLine("lab: --keep-going needs a terminal on stdin and stdout; powering off after the command as usual");
                }

                machine = QemuMachine.Start(qemu, arguments, console, inheritStdin: interactive);
                try
                {
                    bool announced = false;
                    while (console.Phase != GuestPhase.Finished)
                    {
                        if (cancellationToken.IsCancellationRequested)
                        {
                            machine.Kill();
                            throw new LabException(LabErrorKind.Interrupted, "interrupted; QEMU was stopped");
                        }
                        if (console.Fatal is { } fatal)
                        {
                            machine.WaitForExit(TimeSpan.FromSeconds(5));
                            machine.Kill();
                            throw new LabException(LabErrorKind.BootFailed, $"the guest could not set up: {fatal}",
                                "see the console lines below", console.Tail());
                        }
                        if (console.Phase == GuestPhase.Boot && clock.Elapsed > options.BootTimeout)
                        {
                            machine.Kill();
                            throw new LabException(LabErrorKind.BootFailed,
                                $"the guest did not reach the command within {options.BootTimeout.TotalSeconds:0} s; QEMU was stopped",
                                "see the console lines below; a slower machine may need --boot-timeout", console.Tail());
                        }
                        if (clock.Elapsed > options.Timeout)
                        {
                            machine.Kill();
                            throw new LabException(LabErrorKind.Timeout,
                                $"the command did not finish within {options.Timeout.TotalSeconds:0} s (--timeout); QEMU was stopped",
                                "see the console lines below; raise --timeout if the command is just slow", console.Tail());
                        }
                        if (!announced && console.Phase == GuestPhase.Command)
                        {
                            announced = true;
                            _log.WriteLine($"lab: guest ready after {clock.Elapsed.TotalSeconds:0.0} s (guest uptime {console.GuestReadyUptime ?? "?"}); running: {string.Join(' ', options.Command)}");
                        }
                        if (machine.HasExited)
                        {
                            machine.WaitForExit(TimeSpan.FromSeconds(5));
                            if (console.Phase == GuestPhase.Finished) break;
                            if (console.Fatal is not null) continue;
                            throw new LabException(LabErrorKind.Qemu,
                                console.Phase == GuestPhase.Boot
                                    ? $"QEMU exited with status {machine.ExitCode} before the guest reached the command"
                                    : $"QEMU exited with status {machine.ExitCode} while the command was running (guest crash or power-off)",
                                "see the console lines below", console.Tail());
                        }
                        Thread.Sleep(50);
                    }
                    break;
                }
                catch (LabException e) when (attempt < BootAttempts && e.Kind == LabErrorKind.Qemu && console.Phase == GuestPhase.Boot
                                             && console.Tail().Any(l => l.Contains("Kernel panic", StringComparison.Ordinal)))
                {
                    // Nothing of the command ran. Seen with the built 7.3 kernel under TCG (a fault in timer
                    // code 1-2 s into boot, once in some 10-20 boots; a CI run met two in a row): boot again,
                    // said out loud, up to BootAttempts boots in all.
                    machine.Dispose();
                    _log.WriteLine($"lab: the guest kernel panicked while booting, before the command ({PanicLine(console.Tail())}); booting again ({attempt + 1} of {BootAttempts})");
                }
                catch
                {
                    machine.Dispose();
                    throw;
                }
            }

            using var _ = machine;
            if (interactive)
            {
                while (!machine.WaitForExit(TimeSpan.FromMilliseconds(200)))
                {
                    if (cancellationToken.IsCancellationRequested) machine.Kill();
                }
            }
            else if (!machine.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                _log.WriteLine("lab: the guest did not power off within 60 s; stopping QEMU");
                machine.Kill();
            }

            int status = console.ExitStatus ?? ReadStatus(share) ?? 255;
            var bootTime = console.BeganAt ?? TimeSpan.Zero;
            var commandTime = (console.EndedAt ?? clock.Elapsed) - bootTime;
            var result = new LabRunResult(status, kernel, bootTime, commandTime, clock.Elapsed);
            _log.WriteLine($"lab: command exited with status {status}; boot {bootTime.TotalSeconds:0.0} s, " +
                           $"command {commandTime.TotalSeconds:0.0} s, total {result.TotalTime.TotalSeconds:0.0} s " +
                           $"({kernel.Release}, {options.Topology.Name})");
            return result;
        }
        finally
        {
            LabCache.TryDelete(runDir);
        }
    }

    /// <summary>The console line that says why the kernel panicked, for the log.</summary>
    private static string PanicLine(IReadOnlyList<string> tail) =>
        tail.Select(l => l.Trim()).LastOrDefault(l => l.Contains("Kernel panic", StringComparison.Ordinal)) ?? "Kernel panic";

    /// <summary>Slot on the root bus of the state disk (virtio-blk, guest address 0000:00:1c.0).</summary>
    public const int StateDiskSlot = 0x1c;

    private const string RunDirectoryPrefix = "vfioctl-lab-";
    private const string OwnerFile = "owner.pid";

    /// <summary>
    /// Deletes run directories (disk images, share) of runs whose vfioctl was killed
    /// outright (SIGKILL leaves no chance to clean up; QEMU itself died with it).
    /// </summary>
    private static void RemoveAbandonedRunDirectories()
    {
        try
        {
            foreach (var dir in Directory.GetDirectories(Path.GetTempPath(), RunDirectoryPrefix + "*"))
            {
                var owner = Path.Combine(dir, OwnerFile);
                if (!File.Exists(owner) || !int.TryParse(File.ReadAllText(owner).Trim(), out var pid)) continue;
                if (!Directory.Exists($"/proc/{pid}")) LabCache.TryDelete(dir);
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static int? ReadStatus(string share)
    {
        var path = Path.Combine(share, "status");
        return File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), out var s) ? s : null;
    }

    /// <summary>Size of a new state directory's <c>root.ext4</c> (sparse: it takes what the guest writes).</summary>
    public const int StateDiskMiB = 1024;

    /// <summary>File name of the persistent upper layer's image in a state directory.</summary>
    public const string StateDiskName = "root.ext4";

    /// <summary>
    /// Creates the topology's disk images in <paramref name="directory"/>; an image already there
    /// (a state directory's, from an earlier run) is kept as it is.
    /// </summary>
    private static Dictionary<string, string> CreateDisks(Topology topology, string directory, CancellationToken cancellationToken)
    {
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var disk in topology.Disks)
        {
            var path = Path.Combine(directory, disk.Id + ".img");
            if (!File.Exists(path))
            {
                CreateImage(path, disk.SizeMiB, disk.Format == LabDiskFormat.Ext4 ? disk.Id : null, cancellationToken);
            }
            paths[disk.Id] = path;
        }
        return paths;
    }

    /// <summary>A sparse image, formatted ext4 when <paramref name="ext4Label"/> is given; made under a temporary name and renamed, so an interrupted run leaves none half made.</summary>
    private static void CreateImage(string path, int sizeMiB, string? ext4Label, CancellationToken cancellationToken)
    {
        var temp = path + ".new";
        using (var f = File.Create(temp))
        {
            f.SetLength((long)sizeMiB << 20); // sparse
        }
        if (ext4Label is not null)
        {
            var r = HostProcess.Run(HostDependencies.PathOf("mkfs.ext4"), ["-F", "-q", "-L", ext4Label, temp],
                cancellationToken: cancellationToken);
            if (!r.Succeeded)
            {
                File.Delete(temp);
                throw new LabException(LabErrorKind.Build, $"mkfs.ext4 {temp} failed (exit {r.ExitCode}):\n{r.Tail()}");
            }
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The state directory's <c>root.ext4</c>, created (sparse, ext4) with the directory when absent.</summary>
    private static string EnsureStateDisk(string directory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, StateDiskName);
        if (!File.Exists(path)) CreateImage(path, StateDiskMiB, "vfioctl-state", cancellationToken);
        return path;
    }

    /// <summary>
    /// Takes the state directory for this run (created when absent): two guests writing one
    /// ext4 image at once would corrupt it, so a second run on the same directory is refused.
    /// </summary>
    private static FileStream LockStateDirectory(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LabException(LabErrorKind.InvalidRequest, $"cannot create the state directory {directory}: {e.Message}");
        }
        try
        {
            return new FileStream(Path.Combine(directory, "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new LabException(LabErrorKind.InvalidRequest, $"another lab run is using the state directory {directory}",
                "wait for it to finish, or use another --state directory");
        }
    }

    private static void WriteShare(string share, LabRunOptions options, KernelImage kernel, string cwd,
        string begin, string endPrefix, bool interactive, LabCache cache)
    {
        var env = new StringBuilder();
        env.Append("# written by vfioctl lab for one run\n");
        void Set(string name, string value) => env.Append(name).Append('=').Append(ShellQuote.Quote(value)).Append('\n');
        Set("LAB_BEGIN", begin);
        Set("LAB_END", endPrefix);
        Set("LAB_MODULES", kernel.ModulesDirectory);
        Set("LAB_CWD", cwd);
        Set("LAB_TOPOLOGY", options.Topology.Name);
        Set("LAB_KERNEL", options.Kernel.Name);
        Set("LAB_PATH", GuestPath());
        Set("LAB_INTERACTIVE", interactive ? "1" : "0");
        Set("LAB_TERM", Environment.GetEnvironmentVariable("TERM") ?? "vt100");
        Set("LAB_UDEV", options.Udev ? "1" : "0");
        Set("LAB_DEBS", GuestPackages.Directory(cache));
        // A kernel the lab built carries its uapi headers: tests check struct layouts against them.
        if (kernel.HeadersDirectory is { } headers) Set("LAB_HEADERS", headers);
        WriteScript(Path.Combine(share, "run.env"), env.ToString());
        WriteScript(Path.Combine(share, "setup.sh"), GuestScripts.Setup);
        if (options.Topology.GuestSetup is { } topologySetup)
        {
            WriteScript(Path.Combine(share, "topology.sh"), topologySetup);
        }

        var command = new StringBuilder();
        command.Append("# written by vfioctl lab: the user's command, in the host's working directory\n");
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } dotnetRoot)
        {
            command.Append("export DOTNET_ROOT=").Append(ShellQuote.Quote(dotnetRoot)).Append('\n');
        }
        command.Append("cd ").Append(ShellQuote.Quote(cwd))
            .Append(" || { echo \"vfioctl-lab: cannot enter the working directory\" >&2; exit 125; }\n");
        command.Append("exec ").Append(ShellQuote.Join(options.Command)).Append('\n');
        WriteScript(Path.Combine(share, "command.sh"), command.ToString());
    }

    private static void WriteScript(string path, string text) =>
        File.WriteAllText(path, text.ReplaceLineEndings("\n"), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

    /// <summary>The host's PATH (absolute entries only) followed by the standard directories, without duplicates.</summary>
    private static string GuestPath()
    {
        var host = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        return string.Join(':', host.Where(p => p.StartsWith('/')).Concat(StandardPath).Distinct(StringComparer.Ordinal));
    }

    internal static IReadOnlyList<string> MachineArguments(LabRunOptions options, KernelImage kernel, string initramfs, string share,
        Func<string, string> diskPath, string? stateDisk = null, (string Code, string Vars)? firmware = null)
    {
        string E(string v) => QemuMachine.EscapeOptionValue(v);
        return
        [
            "-accel", "tcg",
            // OVMF: its code read-only in the first flash, the run's copy of the variable store in the second.
            .. (firmware is { } fw
                ? new[] { "-drive", $"if=pflash,format=raw,unit=0,readonly=on,file={E(fw.Code)}", "-drive", $"if=pflash,format=raw,unit=1,file={E(fw.Vars)}" }
                : []),
            .. (options.CpuModel is { } cpu ? new[] { "-cpu", cpu } : []),
            "-m", options.MemoryMiB.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-smp", "2",
            "-machine", "q35,kernel-irqchip=split",
            .. (options.Iommu ? new[] { "-device", "intel-iommu,intremap=on,caching-mode=on" } : []),
            "-nographic",
            "-no-reboot",
            "-nic", "none",
            "-vga", "none",
            "-kernel", kernel.Vmlinuz,
            "-initrd", initramfs,
            "-append", "console=ttyS0" + (options.Iommu ? " intel_iommu=on" : "") + " panic=-1 quiet" + (stateDisk is null ? "" : " vfioctl_lab.state=1")
                + (string.IsNullOrWhiteSpace(options.KernelArguments) ? "" : " " + options.KernelArguments.Trim()),
            // The host's root, read-only, and the run's share, writable, at fixed addresses.
            "-fsdev", "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap",
            "-device", $"virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot,bus=pcie.0,addr=0x1e",
            "-fsdev", $"local,id=labrun,path={E(share)},security_model=none",
            "-device", "virtio-9p-pci,fsdev=labrun,mount_tag=labrun,bus=pcie.0,addr=0x1d",
            // The state directory's root.ext4 (the overlay's persistent upper layer), at an address no topology uses.
            .. (stateDisk is null
                ? Array.Empty<string>()
                : ["-drive", $"file={E(stateDisk)},if=none,id=labstate,format=raw,cache=writeback",
                   "-device", $"virtio-blk-pci,drive=labstate,bus=pcie.0,addr=0x{StateDiskSlot:x}"]),
            .. options.Topology.QemuArguments(diskPath),
        ];
    }
}
