namespace Vfio.Tests.Architecture;

/// <summary>The checkout the tests were built from, found by walking up to vfioctl.slnx.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    public static string Relative(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');

    /// <summary>
    /// The text files under <paramref name="folder"/> (relative to the root): source, project and
    /// documentation files and scripts; build output and captured binary fixtures are skipped.
    /// </summary>
    public static IEnumerable<string> TextFilesUnder(string folder)
    {
        var start = PathOf(folder);
        if (!Directory.Exists(start)) yield break;
        var pending = new Stack<string>();
        pending.Push(start);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            foreach (var sub in Directory.EnumerateDirectories(dir))
            {
                var name = Path.GetFileName(sub);
                // Build output, and the benchmarks' git-ignored output (bench/out holds a generated
                // sysfs tree of some 200,000 files once bench/list-vs-lspci.sh has run).
                if (name is "bin" or "obj" or "artifacts" || name.StartsWith('.')) continue;
                if (name == "out" && Path.GetFileName(dir) == "bench") continue;
                pending.Push(sub);
            }
            foreach (var file in Directory.EnumerateFiles(dir))
                if (IsText(file)) yield return file;
        }
    }

    private static bool IsText(string file) =>
        Path.GetExtension(file) switch
        {
            ".cs" or ".md" or ".csproj" or ".props" or ".targets" or ".slnx" or ".sh" or ".py" or ".c" or ".h" or ".json" or ".txt" => true,
            "" => true, // scripts without an extension
            _ => false,
        };

    private static string FindRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null)
        {
            if (File.Exists(Path.Combine(dir, "vfioctl.slnx"))) return dir;
            dir = Path.GetDirectoryName(dir);
        }
        throw new DirectoryNotFoundException("vfioctl.slnx not found above " + AppContext.BaseDirectory);
    }
}
