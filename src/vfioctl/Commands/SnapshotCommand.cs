using System.CommandLine;
using System.Reflection;
using Vfio.Host.Snapshot;
using Vfio.Host.Sysfs;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl snapshot FILE</c>: capture what the model reads into one archive for --root.</summary>
internal static class SnapshotCommand
{
    private static readonly Argument<string> File = new("file") { Description = "Archive to write (.tar.gz); '-' for standard output" };

    public static Command Create() => CommandActions.Define("snapshot",
        "Capture the sysfs, procfs and modules.alias files vfioctl reads into a .tar.gz that --root can replay", Run, File);

    private static int Run(ParseResult parse, Terminal term)
    {
        var root = parse.GetValue(GlobalOptions.Root)!;
        if (!Directory.Exists(root)) throw new UsageException($"--root {root}: snapshot reads a directory tree; no such directory.");
        var path = parse.GetValue(File)!;
        var version = typeof(SnapshotCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        var writer = new SnapshotWriter(new HostFiles(root));
        SnapshotSummary summary;
        if (path == "-")
        {
            using var stdout = Console.OpenStandardOutput();
            summary = writer.Write(stdout, $"vfioctl {version}");
        }
        else
        {
            var tmp = path + ".tmp";
            using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write))
                summary = writer.Write(f, $"vfioctl {version}");
            System.IO.File.Move(tmp, path, overwrite: true);
        }
        if (parse.GetValue(GlobalOptions.Json))
        {
            Json.Write(term.Out, w =>
            {
                w.WriteStartObject();
                w.WriteString("file", path);
                w.WriteNumber("devices", summary.Devices);
                w.WriteNumber("groups", summary.Groups);
                w.WriteNumber("files", summary.Files);
                w.WriteNumber("links", summary.Links);
                w.WriteEndObject();
            });
        }
        else if (path != "-")
            term.Out.WriteLine($"Wrote {path}: {summary.Devices} devices, {summary.Groups} IOMMU groups, {summary.Files} files, {summary.Links} links. Replay it with: vfioctl --root {path} groups");
        return ExitCodes.Success;
    }
}
