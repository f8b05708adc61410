using System.Text.RegularExpressions;

namespace Vfio.Tests.Architecture;

/// <summary>
/// The repository explains itself: what the code cites is in the repository, and nothing points
/// outside it to notes a reader of the repository does not have.
/// </summary>
public partial class DocsGuardTests
{
    private static readonly string[] Cited = ["src", "tests", "samples", "bench", "docs", "scripts"];

    /// <summary>
    /// "kernel-facts section 4", "kernel-facts sections 1 and 2", "kernel-facts section 4/5",
    /// "kernel-facts.md section 5a", "[kernel-facts.md](kernel-facts.md) section 4".
    /// </summary>
    [GeneratedRegex(@"kernel-facts(?:\.md)?(?:\]\([^)]*\))?,? sections? (?<first>\d+[a-z]?)(?<more>(?:\s*(?:/|-|,|and)\s*\d+[a-z]?\b)*)")]
    private static partial Regex Citation();

    /// <summary>A mention of the document, other than its path on its own.</summary>
    [GeneratedRegex(@"(?<!docs/)kernel-facts")]
    private static partial Regex Mention();

    [GeneratedRegex(@"\d+[a-z]?")]
    private static partial Regex SectionNumber();

    [GeneratedRegex(@"^## (?<n>\d+[a-z]?)\. ", RegexOptions.Multiline)]
    private static partial Regex Heading();

    /// <summary>Every section number a text cites, with the line it is on.</summary>
    internal static IEnumerable<(string Section, int Line)> CitedSections(string text)
    {
        foreach (Match m in Citation().Matches(text))
        {
            var line = 1 + text.AsSpan(0, m.Index).Count('\n');
            yield return (m.Groups["first"].Value, line);
            foreach (Match more in SectionNumber().Matches(m.Groups["more"].Value))
                yield return (more.Value, line);
        }
    }

    internal static HashSet<string> SectionsOf(string kernelFacts) =>
        Heading().Matches(kernelFacts).Select(m => m.Groups["n"].Value).ToHashSet(StringComparer.Ordinal);

    [Fact]
    public void Every_cited_kernel_facts_section_exists()
    {
        var sections = SectionsOf(File.ReadAllText(RepositoryFiles.PathOf("docs/kernel-facts.md")));
        Assert.Superset(new HashSet<string> { "1", "2", "3", "4", "5", "5a", "6", "7" }, sections);

        var missing = new List<string>();
        var citations = 0;
        foreach (var file in Cited.SelectMany(RepositoryFiles.TextFilesUnder))
        {
            foreach (var (section, line) in CitedSections(File.ReadAllText(file)))
            {
                citations++;
                if (!sections.Contains(section))
                    missing.Add($"{RepositoryFiles.Relative(file)}:{line}: kernel-facts section {section} is not a heading of docs/kernel-facts.md");
            }
        }
        Assert.True(citations > 20, $"only {citations} citations found: is the pattern still the one the code uses?");
        Assert.True(missing.Count == 0, string.Join("\n", missing));
    }

    [Fact]
    public void Code_cites_kernel_facts_by_section()
    {
        // A comment that names kernel-facts must say which section, so the reader can find it
        // and the test above can check it exists.
        // (This folder's guards talk about citations rather than make them.)
        var vague = new List<string>();
        var code = Cited.Where(d => d != "docs").SelectMany(RepositoryFiles.TextFilesUnder)
            .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) && !RepositoryFiles.Relative(f).StartsWith("tests/Vfio.Tests/Architecture/", StringComparison.Ordinal));
        foreach (var file in code)
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var mentions = Mention().Count(lines[i]);
                if (mentions > Citation().Count(lines[i]))
                    vague.Add($"{RepositoryFiles.Relative(file)}:{i + 1}: {lines[i].Trim()}");
            }
        }
        Assert.True(vague.Count == 0, "cite as \"kernel-facts section N\":\n" + string.Join("\n", vague));
    }

    /// <summary>Notes that live outside the repository: the team's background folder and its design notes.</summary>
    private static readonly string[] OutsideReferences = ["../" + "shared", "shared" + "/docs", "design" + ".md"];

    [Fact]
    public void Nothing_cites_notes_outside_the_repository()
    {
        var found = Cited.SelectMany(RepositoryFiles.TextFilesUnder).SelectMany(OutsideReferencesIn).ToList();
        Assert.True(found.Count == 0, string.Join("\n", found));
    }

    [Fact]
    public void The_README_cites_nothing_outside_the_repository()
    {
        var found = OutsideReferencesIn(RepositoryFiles.PathOf("README.md")).ToList();
        Assert.True(found.Count == 0, string.Join("\n", found));
    }

    private static IEnumerable<string> OutsideReferencesIn(string file)
    {
        var lines = File.ReadAllLines(file);
        for (var i = 0; i < lines.Length; i++)
            foreach (var outside in OutsideReferences)
                if (lines[i].Contains(outside, StringComparison.Ordinal))
                    yield return $"{RepositoryFiles.Relative(file)}:{i + 1}: mentions {outside}";
    }

    [Theory]
    [InlineData("(kernel-facts section 4)", "4")]
    [InlineData("(kernel-facts section 5a): virtio", "5a")]
    [InlineData("kernel-facts section 4/5): those", "4,5")]
    [InlineData("(kernel-facts sections 1 and 2), proven", "1,2")]
    [InlineData("in [kernel-facts.md](kernel-facts.md) section 4 (drivers/pci/iov.c)", "4")]
    [InlineData("(kernel-facts section 4, each seen on 6.1)", "4")]
    [InlineData("kernel-facts section " + "7", "7")] // split, so this file cites no missing section
    public void Citations_are_read_in_every_form_the_repository_uses(string text, string sections)
    {
        Assert.Equal(sections, string.Join(",", CitedSections(text).Select(c => c.Section)));
    }
}
