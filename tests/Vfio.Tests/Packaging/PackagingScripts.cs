using System.Diagnostics;
using Vfio.Tests.Architecture;

namespace Vfio.Tests.Packaging;

/// <summary>Runs the package's shell scripts in a scratch folder, with stand-ins for the system's tools.</summary>
internal sealed class ScriptSandbox : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("vfioctl-pkg-").FullName;

    /// <summary>Where the stand-ins are; first on PATH.</summary>
    public string Bin => Path.Combine(Dir, "bin");

    /// <summary>Each stand-in appends "name args" here.</summary>
    public string Calls => Path.Combine(Dir, "calls");

    public ScriptSandbox(params string[] standIns)
    {
        Directory.CreateDirectory(Bin);
        foreach (var name in standIns) StandIn(name, "");
    }

    /// <summary>A command on PATH that records its call and then runs <paramref name="body"/>.</summary>
    public void StandIn(string name, string body) =>
        Write(Path.Combine(Bin, name), $"#!/bin/sh\necho \"{name} $*\" >> '{Calls}'\n{body}\nexit 0\n", executable: true);

    public static void Write(string path, string text, bool executable = false)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        if (executable) File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
    }

    public string[] CallLines => File.Exists(Calls) ? File.ReadAllLines(Calls) : [];

    /// <summary>
    /// Runs a script (relative to the checkout, or absolute) with <paramref name="shell"/>, the
    /// stand-ins first on PATH: Debian's maintainer scripts and initramfs hooks run under dash.
    /// </summary>
    public (int Code, string Out, string Err) Run(string script, IDictionary<string, string>? env = null, string shell = "/bin/sh", params string[] args)
    {
        var psi = new ProcessStartInfo(shell) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.IsPathRooted(script) ? script : RepositoryFiles.PathOf(script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PATH"] = $"{Bin}:/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)), $"{script} did not finish in 30 s");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
