using System.Reflection;
using PublicApiGenerator;
using Xunit.Sdk;

namespace Vfio.Tests.Api;

/// <summary>
/// Compares an assembly's public API, rendered as C# by PublicApiGenerator, with an approved text file
/// kept in the repository. On a difference the rendering is written beside it as
/// <c>NAME.received.txt</c> (git-ignored) and the test fails saying which lines differ and how to approve.
/// </summary>
public static class ApiApproval
{
    /// <summary>The folder with the approved files: tests/Vfio.Tests/Api in the source tree.</summary>
    public static string Directory { get; } = FindDirectory();

    /// <summary>The public API of <paramref name="assembly"/>, without assembly attributes (versions, InternalsVisibleTo).</summary>
    public static string Render(Assembly assembly) =>
        Normalize(assembly.GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false }));

    /// <summary>Fails unless <paramref name="actual"/> equals the approved file <c>NAME.approved.txt</c> in <paramref name="directory"/>.</summary>
    public static void Verify(string name, string actual, string directory)
    {
        string approvedPath = Path.Combine(directory, name + ".approved.txt");
        string receivedPath = Path.Combine(directory, name + ".received.txt");
        actual = Normalize(actual);
        string? approved = File.Exists(approvedPath) ? Normalize(File.ReadAllText(approvedPath)) : null;
        if (approved == actual)
        {
            File.Delete(receivedPath);
            return;
        }
        File.WriteAllText(receivedPath, actual);
        string what = approved is null
            ? $"there is no approved public API for {name} ({approvedPath} is missing)."
            : $"the public API of {name} differs from the approved one:\n{FirstDifferences(approved, actual)}";
        throw new XunitException(
            $"{what}\nThe API as built is in {receivedPath}. If the change is deliberate, approve it and list it under " +
            $"\"Breaking changes\" in docs/library.md when it removes or changes something:\n  cp {receivedPath} {approvedPath}");
    }

    private static string Normalize(string text) => text.ReplaceLineEndings("\n").TrimEnd('\n') + "\n";

    /// <summary>
    /// The changed lines in order (a longest-common-subsequence line diff), "-" approved and "+" built, each
    /// run under the type it belongs to; at most 40 lines.
    /// </summary>
    private static string FirstDifferences(string approved, string actual)
    {
        var a = approved.Split('\n');
        var b = actual.Split('\n');
        var common = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
            for (int j = b.Length - 1; j >= 0; j--)
                common[i, j] = a[i] == b[j] ? common[i + 1, j + 1] + 1 : Math.Max(common[i + 1, j], common[i, j + 1]);
        var lines = new List<string>();
        string? type = null, shownType = null;
        void Emit(char sign, string line)
        {
            if (type != shownType && type is not null && type != line) lines.Add("  in " + type.Trim());
            shownType = type;
            lines.Add($"  {sign} {line.Trim()}");
        }
        void Track(string line)
        {
            // Type declarations are indented one level inside the namespace.
            if (line.StartsWith("    ", StringComparison.Ordinal) && !line.StartsWith("     ", StringComparison.Ordinal) && line.Trim() is not ("{" or "}"))
                type = line;
        }
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                Track(a[x]);
                x++;
                y++;
            }
            else if (y == b.Length || (x < a.Length && common[x + 1, y] >= common[x, y + 1]))
            {
                Track(a[x]);
                Emit('-', a[x++]);
            }
            else
            {
                Track(b[y]);
                Emit('+', b[y++]);
            }
        }
        if (lines.Count > 40) lines = [.. lines.Take(40), $"  ... and {lines.Count - 40} more lines"];
        return lines.Count == 0 ? "  (only whitespace differs)" : string.Join('\n', lines);
    }

    private static string FindDirectory()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null)
        {
            var candidate = Path.Combine(dir, "tests", "Vfio.Tests", "Api");
            if (System.IO.Directory.Exists(candidate)) return candidate;
            dir = Path.GetDirectoryName(dir);
        }
        throw new DirectoryNotFoundException("tests/Vfio.Tests/Api not found above " + AppContext.BaseDirectory);
    }
}
