using System.CommandLine;

namespace Vfioctl;

/// <summary>Options every command understands.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string> Root = new("--root")
    {
        Description = "Read the host under this directory (or snapshot archive) instead of /",
        Recursive = true,
        DefaultValueFactory = _ => "/",
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print machine-readable JSON (schema: docs/json-schema.md)",
        Recursive = true,
    };
}
