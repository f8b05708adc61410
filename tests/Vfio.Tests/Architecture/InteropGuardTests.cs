using System.Text.RegularExpressions;

namespace Vfio.Tests.Architecture;

/// <summary>
/// Keeps the solution's libc imports in one place: every <c>[LibraryImport]</c> or <c>[DllImport]</c>
/// of src/, samples/, bench/ and tests/ is in src/Vfio.Interop, and each native entry point is
/// declared once. A new import belongs in src/Vfio.Interop/Libc/Interop.NAME.cs.
/// </summary>
public sealed partial class InteropGuardTests
{
    private const string InteropProject = "src/Vfio.Interop/";

    /// <summary>Files allowed to keep an import for now, each with the reason.</summary>
    private static readonly Dictionary<string, string> Allowed = new(StringComparer.Ordinal)
    {
    };

    [GeneratedRegex(@"^\s*\[\s*(?:assembly:\s*)?(?:System\.Runtime\.InteropServices\.)?(?<kind>LibraryImport|DllImport)(?:Attribute)?\s*\((?<args>.*)$")]
    private static partial Regex ImportAttribute();

    [GeneratedRegex(@"EntryPoint\s*=\s*""(?<name>[^""]+)""")]
    private static partial Regex EntryPoint();

    [GeneratedRegex(@"\b(?<name>\w+)\s*(?:<[^>]*>)?\s*\(")]
    private static partial Regex MethodName();

    internal sealed record Import(string File, int Line, string EntryPoint);

    /// <summary>Every import in the scanned trees, with the native name it binds to.</summary>
    internal static List<Import> Imports(string root)
    {
        var imports = new List<Import>();
        foreach (var top in new[] { "src", "samples", "bench", "tests" })
        {
            var dir = Path.Combine(root, top);
            if (!Directory.Exists(dir)) continue;
            foreach (var file in Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
                if (relative.Split('/').Any(part => part is "obj" or "bin" or "artifacts")) continue;
                var lines = File.ReadAllLines(file);
                for (int i = 0; i < lines.Length; i++)
                {
                    var m = ImportAttribute().Match(lines[i]);
                    if (!m.Success) continue;
                    // EntryPoint when given; otherwise the name of the method declared after the attribute(s).
                    var entry = EntryPoint().Match(m.Groups["args"].Value) is { Success: true } e ? e.Groups["name"].Value : null;
                    for (int j = i + 1; entry is null && j < lines.Length && j <= i + 5; j++)
                    {
                        if (lines[j].TrimStart().StartsWith('[')) continue;
                        if (MethodName().Match(lines[j]) is { Success: true } n) entry = n.Groups["name"].Value;
                    }
                    imports.Add(new Import(relative, i + 1, entry ?? "?"));
                }
            }
        }
        return imports;
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "vfioctl.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"vfioctl.slnx not found above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void Native_imports_are_declared_only_in_Vfio_Interop()
    {
        var imports = Imports(RepositoryRoot());
        Assert.Contains(imports, i => i.File.StartsWith(InteropProject, StringComparison.Ordinal) && i.EntryPoint == "ioctl");

        var outside = imports.Where(i => !i.File.StartsWith(InteropProject, StringComparison.Ordinal) && !Allowed.ContainsKey(i.File)).ToList();
        Assert.True(outside.Count == 0,
            "libc is imported outside src/Vfio.Interop (declare it there, in Libc/Interop.NAME.cs, and call Libc.NAME):\n"
            + string.Join("\n", outside.Select(i => $"  {i.File}:{i.Line}: {i.EntryPoint}")));
    }

    [Fact]
    public void Each_native_entry_point_is_declared_once()
    {
        var twice = Imports(RepositoryRoot())
            .Where(i => !Allowed.ContainsKey(i.File))
            .GroupBy(i => i.EntryPoint, StringComparer.Ordinal)
            .Where(g => g.Count() > 1)
            .ToList();
        Assert.True(twice.Count == 0,
            "native entry points declared more than once (keep one declaration; add a managed overload beside it instead):\n"
            + string.Join("\n", twice.Select(g => $"  {g.Key}: " + string.Join(", ", g.Select(i => $"{i.File}:{i.Line}")))));
    }

    [Fact]
    public void The_scan_finds_imports_wherever_they_are_written()
    {
        var root = Directory.CreateTempSubdirectory("interop-guard-");
        try
        {
            Directory.CreateDirectory(Path.Combine(root.FullName, "bench", "x"));
            // '%' stands for '[' so that this file itself holds no import for the guard to find.
            File.WriteAllText(Path.Combine(root.FullName, "bench", "x", "A.cs"), """
                internal static partial class A
                {
                    %LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
                    private static partial int Open(string path, int flags);

                    %DllImport("libc")]
                    %SuppressGCTransition]
                    private static extern int getpid();
                }
                """.Replace('%', '['));
            var found = Imports(root.FullName);
            Assert.Equal([new Import("bench/x/A.cs", 3, "open"), new Import("bench/x/A.cs", 6, "getpid")], found);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
