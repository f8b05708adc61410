using System.Text.RegularExpressions;

namespace Vfio.Lab;

/// <summary>
/// The lab's use of apt: install missing packages, find and download kernel
/// packages. Runs <c>apt-get update</c> at most once per process, and only when
/// an install is needed or apt knows no kernel package yet. Waits for other
/// apt/dpkg runs holding the locks instead of failing.
/// </summary>
internal sealed class Apt
{
    private static readonly TimeSpan LockWait = TimeSpan.FromMinutes(10);
    private readonly TextWriter _log;
    private bool _updated;

    public Apt(TextWriter log) => _log = log;

    public static bool IsRoot => Environment.IsPrivilegedProcess;

    private static IReadOnlyDictionary<string, string> Env => new Dictionary<string, string>
    {
        ["DEBIAN_FRONTEND"] = "noninteractive",
        ["LC_ALL"] = "C",
    };

    /// <summary>Runs <c>apt-get update</c> unless this process already did. Failures of single sources are only warnings.</summary>
    public void UpdateOnce()
    {
        if (_updated) return;
        _log.WriteLine("lab: apt-get update");
        var r = RunWaitingForLock("apt-get", ["update", "-q"]);
        _updated = true;
        if (!r.Succeeded)
        {
            // A third-party source that cannot be reached makes apt-get update exit 100
            // even though Debian's lists were fetched: warn, the next step will tell.
            _log.WriteLine($"lab: warning: apt-get update exited with {r.ExitCode}:\n{r.Tail(5)}");
        }
    }

    public void Install(IReadOnlyCollection<string> packages)
    {
        UpdateOnce();
        _log.WriteLine($"lab: apt-get install {string.Join(' ', packages)}");
        var r = RunWaitingForLock("apt-get",
            ["install", "-y", "-q", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=600", .. packages]);
        if (!r.Succeeded)
        {
            throw new LabException(LabErrorKind.MissingDependency,
                $"apt-get install {string.Join(' ', packages)} failed (exit {r.ExitCode}):\n{r.Tail()}",
                "check the apt sources (apt-get update) and retry");
        }
    }

    /// <summary>Package names apt knows that match <paramref name="pattern"/> (an anchored regex on the whole name).</summary>
    public IReadOnlyList<string> SearchNames(string searchRegex, Regex pattern)
    {
        var r = HostProcess.Run(Tool("apt-cache"), ["search", "--names-only", searchRegex], environment: Env);
        if (!r.Succeeded)
        {
            throw new LabException(LabErrorKind.KernelDownload, $"apt-cache search failed (exit {r.ExitCode}):\n{r.Tail()}");
        }
        return r.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 2)[0].Trim())
            .Where(name => pattern.IsMatch(name))
            .Distinct()
            .ToList();
    }

    /// <summary>Downloads one package's .deb into <paramref name="directory"/> and returns its path.</summary>
    public string Download(string package, string directory)
    {
        List<string> args = ["download", "-q"];
        // As root apt drops to the _apt user to download and warns when that user
        // cannot write the target; the cache belongs to root, so download as root.
        if (IsRoot) args.AddRange(["-o", "APT::Sandbox::User=root"]);
        args.Add(package);
        var r = HostProcess.Run(Tool("apt-get"), args, workingDirectory: directory, environment: Env);
        var deb = Directory.GetFiles(directory, "*.deb").FirstOrDefault();
        if (!r.Succeeded || deb is null)
        {
            throw new LabException(LabErrorKind.KernelDownload,
                $"apt-get download {package} failed (exit {r.ExitCode}):\n{r.Tail()}",
                "check network access to the Debian mirror, or run 'apt-get update' and retry");
        }
        return deb;
    }

    private ProcessResult RunWaitingForLock(string tool, IReadOnlyList<string> args)
    {
        var deadline = DateTime.UtcNow + LockWait;
        bool told = false;
        while (true)
        {
            var r = HostProcess.Run(Tool(tool), args, environment: Env);
            bool locked = !r.Succeeded && (r.StandardError.Contains("Could not get lock", StringComparison.Ordinal)
                                          || r.StandardError.Contains("Unable to lock", StringComparison.Ordinal));
            if (!locked || DateTime.UtcNow > deadline) return r;
            if (!told)
            {
                _log.WriteLine("lab: waiting for another apt/dpkg run to release its lock");
                told = true;
            }
            Thread.Sleep(TimeSpan.FromSeconds(3));
        }
    }

    private static string Tool(string name) =>
        HostProcess.Find(name) ?? throw new LabException(LabErrorKind.MissingDependency,
            $"{name} not found: the lab needs a Debian (or Debian-based) host with apt",
            "run the lab on Debian 12 or later");
}
