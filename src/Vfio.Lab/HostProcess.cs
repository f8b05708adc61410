using System.Diagnostics;

namespace Vfio.Lab;

/// <summary>Runs host tools with argument lists (never a shell string) and finds them on PATH.</summary>
internal static class HostProcess
{
    private static readonly string[] ExtraDirectories = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    /// <summary>Finds an executable by name on PATH, then in the usual system directories (sbin is often missing from a user's PATH).</summary>
    public static string? Find(string name)
    {
        if (name.Contains('/')) return IsExecutable(name) ? name : null;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(ExtraDirectories))
        {
            var candidate = Path.Combine(dir, name);
            if (IsExecutable(candidate)) return candidate;
        }
        return null;
    }

    private static bool IsExecutable(string path)
    {
        try
        {
            if (!File.Exists(path)) return false;
            var mode = File.GetUnixFileMode(path);
            return (mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>Runs a tool to completion, capturing stdout and stderr.</summary>
    public static ProcessResult Run(string file, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default)
    {
        var psi = NewStartInfo(file, arguments, workingDirectory, environment);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var process = StartOrThrow(psi);
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using (cancellationToken.Register(() => TryKill(process)))
        {
            process.WaitForExit();
        }
        cancellationToken.ThrowIfCancellationRequested();
        return new ProcessResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    /// <summary>Runs a tool whose stdout is binary data and writes it to a file (e.g. <c>xz -dc</c>).</summary>
    public static ProcessResult RunToFile(string file, IEnumerable<string> arguments, string outputPath)
    {
        var psi = NewStartInfo(file, arguments, null, null);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var process = StartOrThrow(psi);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using (var output = File.Create(outputPath))
        {
            process.StandardOutput.BaseStream.CopyTo(output);
        }
        process.WaitForExit();
        return new ProcessResult(process.ExitCode, "", stderr.GetAwaiter().GetResult());
    }

    internal static ProcessStartInfo NewStartInfo(string file, IEnumerable<string> arguments, string? workingDirectory,
        IReadOnlyDictionary<string, string>? environment)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        if (environment is not null)
        {
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        }
        return psi;
    }

    internal static Process StartOrThrow(ProcessStartInfo psi)
    {
        try
        {
            return Process.Start(psi) ?? throw new LabException(LabErrorKind.MissingDependency, $"could not start {psi.FileName}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new LabException(LabErrorKind.MissingDependency, $"could not start {psi.FileName}: {e.Message}", inner: e);
        }
    }

    internal static void TryKill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
    }
}
