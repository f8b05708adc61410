namespace Vfio.Lab;

/// <summary>Quotes values for the POSIX shell scripts the host writes for the guest.</summary>
internal static class ShellQuote
{
    /// <summary>One shell word that expands to exactly <paramref name="value"/>.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>A command line whose words are exactly <paramref name="words"/>.</summary>
    public static string Join(IEnumerable<string> words) => string.Join(' ', words.Select(Quote));
}
