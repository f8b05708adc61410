using System.Diagnostics;
using Vfio.Host.Sysfs;
using Vfio.Interop;

namespace Vfio.Execution.Kernel;

/// <summary>The real kernel: sysfs writes through write(2) (so the errno is exact) and modprobe.</summary>
public sealed class SysfsKernel : IKernel
{
    public SysfsKernel(HostFiles files) => Files = files;

    public HostFiles Files { get; }

    public void Write(string hostPath, string value, TimeSpan timeout)
    {
        var path = Files.Map(hostPath);
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            // The caller knows this write cannot wait on a userspace holder: no thread hop.
            var error = WriteOnce(path, value);
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

    /// <summary>open + write + close; the errno of the first that failed, or 0.</summary>
    private static unsafe Errno WriteOnce(string path, string value)
    {
        int fd = Libc.Open(path, Libc.O_WRONLY | Libc.O_CLOEXEC);
        if (fd < 0) return ErrnoInfo.FromLastPInvokeError();
        try
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(value);
            fixed (byte* p = bytes)
            {
                nint n = Libc.Write(fd, p, (nuint)bytes.Length);
                return n < 0 ? ErrnoInfo.FromLastPInvokeError() : 0;
            }
        }
        finally
        {
            Libc.Close(fd);
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
}
