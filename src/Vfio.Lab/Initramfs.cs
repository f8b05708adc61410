using System.Security.Cryptography;
using System.Text;

namespace Vfio.Lab;

/// <summary>
/// Builds and caches the lab's initramfs for one kernel: busybox-static, the
/// guest's <c>/init</c> and only the modules needed to mount the host's root
/// (virtio-pci where it is a module, 9p over virtio, overlay) with their
/// dependencies from modules.dep, decompressed because busybox's insmod cannot
/// load .ko.xz. About 4 MB, uncompressed (the guest unpacks it faster than it
/// would decompress it under emulation).
/// </summary>
public static class Initramfs
{
    /// <summary>Modules the initramfs loads, in this order (dependencies are added).</summary>
    public static IReadOnlyList<string> Modules { get; } = ["virtio_pci", "9pnet_virtio", "9p", "overlay"];

    /// <summary>
    /// Modules loaded only for a run with a state directory (<c>--state</c>): the virtio disk that
    /// carries the persistent upper layer and ext4 on it (crc32c first: ext4 and jbd2 ask the
    /// crypto API for it, and there is no modprobe in the initramfs to load it on request). A kernel
    /// without crc32c_generic (7.x builds crc32c into its library) goes without it.
    /// </summary>
    public static IReadOnlyList<string> StateModules { get; } = ["crc32c_generic", "virtio_blk", "ext4"];

    private static readonly string[] BusyboxApplets =
        ["sh", "mount", "insmod", "mkdir", "switch_root", "poweroff", "cat", "sleep", "echo", "ls"];

    private const string FormatVersion = "2";

    /// <summary>Path of the cached initramfs for <paramref name="kernel"/>, building it if needed.</summary>
    internal static string Ensure(LabCache cache, KernelImage kernel, TextWriter log, CancellationToken cancellationToken)
    {
        var busybox = HostDependencies.PathOf("/bin/busybox");
        var init = GuestScripts.Init;
        var dep = ModulesDep.Load(kernel.ModulesDirectory);
        var modules = dep.LoadOrder(Modules);
        var stateModules = dep.LoadOrder(Modules.Concat(StateModules.Where(m => m != "crc32c_generic" || dep.Has(m)))).Except(modules).ToList();

        var key = Hash(FormatVersion, init, File.ReadAllBytes(busybox), string.Join('\n', modules), string.Join('\n', stateModules));
        var path = Path.Combine(cache.InitramfsDirectory, $"{kernel.Release}-{key}.cpio");
        if (File.Exists(path)) return path;

        using var _ = cache.Lock(log, cancellationToken);
        if (File.Exists(path)) return path;

        log.WriteLine($"lab: building the initramfs for {kernel.Release} ({string.Join(", ", modules.Select(ModulesDep.NameOf))})");
        var work = cache.NewTempDirectory("initramfs");
        try
        {
            var archive = Path.Combine(work, "initramfs.cpio");
            using (var file = File.Create(archive))
            using (var cpio = new CpioWriter(file))
            {
                foreach (var d in new[] { "bin", "dev", "proc", "sys", "host", "rw", "newroot", "modules", "state" }) cpio.AddDirectory(d);
                cpio.AddCharDevice("dev/console", 0x180 /* 0600 */, 5, 1);
                cpio.AddFile("init", Encoding.UTF8.GetBytes(init), 0x1ED);
                cpio.AddFile("bin/busybox", File.ReadAllBytes(busybox), 0x1ED);
                foreach (var applet in BusyboxApplets) cpio.AddSymlink($"bin/{applet}", "busybox");

                var load = new StringBuilder();
                foreach (var module in modules)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var name = ModulesDep.NameOf(module) + ".ko";
                    cpio.AddFile($"modules/{name}", ReadModule(Path.Combine(kernel.ModulesDirectory, module), work), 0x1A4);
                    load.Append(name).Append('\n');
                }
                cpio.AddFile("modules.load", Encoding.UTF8.GetBytes(load.ToString()), 0x1A4);

                var stateLoad = new StringBuilder();
                foreach (var module in stateModules)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var name = ModulesDep.NameOf(module) + ".ko";
                    cpio.AddFile($"modules/{name}", ReadModule(Path.Combine(kernel.ModulesDirectory, module), work), 0x1A4);
                    stateLoad.Append(name).Append('\n');
                }
                cpio.AddFile("modules.state", Encoding.UTF8.GetBytes(stateLoad.ToString()), 0x1A4);
            }

            Directory.CreateDirectory(cache.InitramfsDirectory);
            File.Move(archive, path, overwrite: true);
            foreach (var stale in Directory.GetFiles(cache.InitramfsDirectory, $"{kernel.Release}-*.cpio"))
            {
                if (stale != path) File.Delete(stale);
            }
            log.WriteLine($"lab: cached the initramfs in {path} ({new FileInfo(path).Length / 1024} KiB)");
            return path;
        }
        finally
        {
            LabCache.TryDelete(work);
        }
    }

    /// <summary>A module's bytes, decompressed (.ko.xz with xz, .ko.zst with zstd).</summary>
    private static byte[] ReadModule(string file, string work)
    {
        if (file.EndsWith(".ko", StringComparison.Ordinal)) return File.ReadAllBytes(file);
        string tool = file.EndsWith(".xz", StringComparison.Ordinal) ? "xz"
            : file.EndsWith(".zst", StringComparison.Ordinal) ? "zstd"
            : throw new LabException(LabErrorKind.Build, $"cannot decompress module {file} (unknown compression)");
        var toolPath = HostProcess.Find(tool) ?? throw new LabException(LabErrorKind.MissingDependency,
            $"{tool} not found: needed to decompress {Path.GetFileName(file)}", $"apt-get install {(tool == "xz" ? "xz-utils" : "zstd")}");
        var output = Path.Combine(work, Path.GetFileName(file) + ".raw");
        var r = HostProcess.RunToFile(toolPath, ["-dc", file], output);
        if (!r.Succeeded) throw new LabException(LabErrorKind.Build, $"{tool} -dc {file} failed (exit {r.ExitCode}):\n{r.Tail()}");
        var bytes = File.ReadAllBytes(output);
        File.Delete(output);
        return bytes;
    }

    private static string Hash(params object[] parts)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in parts)
        {
            sha.AppendData(part is byte[] b ? b : Encoding.UTF8.GetBytes(part.ToString() ?? ""));
            sha.AppendData([0]);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset())[..12];
    }
}
