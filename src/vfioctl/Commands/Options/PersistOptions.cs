using System.CommandLine;
using Vfio.Execution.Persistence;

namespace Vfioctl.Commands.Options;

/// <summary>The options of persist and apply, and bind's and sriov enable's --persist.</summary>
internal static class PersistOptions
{
    public static readonly Option<string> Config = new("--config")
    {
        Description = "The declared-state file (under --root)",
        DefaultValueFactory = _ => DeclaredStateFile.DefaultPath,
    };

    public static readonly Option<bool> Persist = new("--persist")
    {
        Description = "Also declare it in the declared-state file, so that it is assigned again at every boot (see 'vfioctl persist')",
    };

    /// <summary>The declared-state file --config names, under the tree's root.</summary>
    public static DeclaredStateFile File(ParseResult parse, Vfio.Host.Sysfs.HostFiles files) => new(files, parse.GetValue(Config)!);
}
