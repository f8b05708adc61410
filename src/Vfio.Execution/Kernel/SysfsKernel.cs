using System.Diagnostics;
using System.Runtime.InteropServices;
using Vfio.Host.Sysfs;

namespace Vfio.Execution.Kernel;

/// <summary>The real kernel: sysfs writes through write(2) (so the errno is exact) and modprobe.</summary>
public sealed partial class SysfsKernel : IKernel
{
    public SysfsKernel(HostFiles files) => Files = files;

    public HostFiles Files { get; }

    public void Write(string hostPath, string value, TimeSpan timeout)
    {
        var path = Files.Map(hostPath);
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            // The caller knows this write cannot wait on a userspace holder: no thread hop.
            int error = WriteOnce(path, value);
            if (error != 0) throw new KernelException($"writing '{value.TrimEnd('\n')}' to {hostPath}", error);
            return;
        }
        // A write that blocks in the kernel cannot be cancelled; run it on a pool thread so the
        // caller gets control back and can report, instead of hanging with it.
        var write = Task.Run(() => WriteOnce(path, value));
        if (!write.Wait(timeout))
            throw new KernelException($"writing '{value.TrimEnd('\n')}' to {hostPath}", Errno.ETIMEDOUT,
                $"The kernel has not returned after {timeout.TotalSeconds:0} s: a process probably holds the device open (see 'vfioctl show'); vfioctl stops here.");
        if (write.Result != 0)
            throw new KernelException($"writing '{value.TrimEnd('\n')}' to {hostPath}", write.Result);
    }

    private static unsafe int WriteOnce(string path, string value)
    {
        int fd = Open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0) return Marshal.GetLastPInvokeError();
        try
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(value);
            fixed (byte* p = bytes)
            {
                nint n = WriteNative(fd, p, (nuint)bytes.Length);
                return n < 0 ? Marshal.GetLastPInvokeError() : 0;
            }
        }
        finally
        {
            Close(fd);
        }
    }

    public void LoadModule(string module, IReadOnlyList<string> parameters)
    {
        if (!Files.IsLive)
            throw new KernelException($"loading module {module}", Errno.EPERM, $"--root {Files.Root} is not the running kernel: modules can only be loaded on a live host.");
        var psi = new ProcessStartInfo(FindModprobe()) { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(module);
        foreach (var p in parameters) psi.ArgumentList.Add(p);
        using var proc = Process.Start(psi) ?? throw new KernelException($"starting modprobe {module}", Errno.ENOENT);
        var err = proc.StandardError.ReadToEndAsync();
        if (!proc.WaitForExit(60_000))
        {
            proc.Kill(true);
            throw new KernelException($"modprobe {module}", Errno.ETIMEDOUT, "modprobe did not finish in 60 s.");
        }
        if (proc.ExitCode != 0)
            throw new KernelException($"modprobe {module}", Errno.ENOENT,
                $"modprobe said: {err.Result.Trim()} Is the module built for this kernel (ls /lib/modules/$(uname -r))?");
    }

    private static string FindModprobe() =>
        new[] { "/usr/sbin/modprobe", "/sbin/modprobe", "/usr/bin/modprobe", "/bin/modprobe" }.FirstOrDefault(File.Exists) ?? "modprobe";

    private const int O_WRONLY = 1;
    private const int O_CLOEXEC = 0x80000;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint WriteNative(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
