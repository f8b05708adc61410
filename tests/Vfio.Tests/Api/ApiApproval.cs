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

    /// <summary>The lines only in one of the two texts (up to 20 of each), "-" approved, "+" built.</summary>
    private static string FirstDifferences(string approved, string actual)
    {
        var before = approved.Split('\n');
        var after = actual.Split('\n');
        var removed = before.Except(after).Take(20).Select(l => "  - " + l.Trim());
        var added = after.Except(before).Take(20).Select(l => "  + " + l.Trim());
        var lines = removed.Concat(added).ToList();
        return lines.Count == 0 ? "  (the same lines in another order)" : string.Join('\n', lines);
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
